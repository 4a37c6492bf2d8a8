import Foundation
import MienCore
import MienVision

/// Every knob of a video analysis, as one value. Defaults are the measured choices (docs/VIDEO.md).
public struct VideoOptions: Sendable {
    /// Detector, measures-only, models: as for stills. Flip averaging is off by default for video: smoothing over
    /// time already averages views, and one view halves the classifier's share of the CPU (1.3 vs 2.5 ms a face).
    public var analysis: AnalysisOptions = {
        var o = AnalysisOptions()
        o.flipAverage = false
        return o
    }()
    /// Analyse every Nth frame of the source.
    public var every = 1
    /// Analyse about this many frames per second instead (overrides `every` when the source's rate is known).
    public var targetFPS: Double?
    public var start: Double = 0
    public var end: Double?
    /// Run the face detector on every kth analysed frame and follow faces by their landmarks in between
    /// (1 = detect on every frame). 10 (0.4 s at 24 fps) follows the sample's face as closely as detecting on every
    /// frame (landmarks within 0.02 inter-ocular distances on average; docs/VIDEO.md) at twice the speed.
    public var detectEvery = 10
    /// How the periodic detection that looks for new faces runs while faces are followed. `beside` (interactive use):
    /// on a thread of its own, its boxes joining a few frames later — which frame depends on thread timing.
    /// `inline` (batch runs): on the due frame itself, in this thread, on every kth analysed frame *of the video*
    /// (so the segments of a long video detect on the frames a single run would), every face on that frame fitted
    /// from its detection — the results depend on nothing but the input, at the cost of the detection's time on
    /// those frames.
    public var discovery = Discovery.beside
    public enum Discovery: String, Sendable, Codable {
        case beside, inline
    }
    /// Time constant of the expression smoothing, seconds.
    public var smoothingSeconds = 0.4
    /// Frames whose faces go through the expression model in one batch. Live inputs use 1 for latency.
    public var batchFrames = 4
    /// Hand each frame's image to the handler (needed for annotation); off keeps fewer frames in memory.
    public var deliverFrames = true
    public var tracker = Tracker.Options()
    /// Compute upper-body motion energy (optical flow below each face).
    public var bodyMotion = true
    /// Run the 478-point face mesh, its 52 blendshapes and iris gaze on every kth analysed frame of each track and
    /// carry the last values in between (`TrackedFace.meshFrame` says which frame they come from); 0 = never.
    /// `analysis.blendshapes` false turns them off too. Movement, not emotion: measures-only runs get them.
    /// Off by default, by measurement: with the mesh on every 3rd, 5th or even 12th frame the video path fell to
    /// 5–6× the `fer` package against 11× without it (docs/VIDEO.md, "Speed and memory"); on request
    /// (`mien video --blendshapes`) it runs every `defaultBlendshapesEvery` frames.
    public var blendshapesEvery = 0
    public static let defaultBlendshapesEvery = 3
    /// Also run the mesh on frames where the 68-point eye opening drops below the track's usual (`EyelidWatch`), so
    /// that blinks between two periodic measurements are seen. Costs a mesh run on each such frame.
    public var blendshapesOnEyelidDrop = true
    /// Run the body keypoint stage (`analysis.body` must be on too) on every kth analysed frame of the video,
    /// carrying its values in between (`TrackedFace.bodyFrame`); 0 = never. Beside the optical-flow `bodyMotion`,
    /// not instead of it. Off by default; `mien video --body` uses `defaultBodyEvery` (measured: docs/BODY.md).
    public var bodyEvery = 0
    public static let defaultBodyEvery = 5
    /// Keep one small JPEG per track for reports.
    public var thumbnails = true
    /// Streams: give up opening, or end, after this many seconds without a frame.
    public var openTimeout: Double = 10
    public var readTimeout: Double = 10

    public init() {}

    /// The source-frame stride these options give for a source of `fps` frames per second.
    public func stride(sourceFPS fps: Double) -> Int {
        if let target = targetFPS, target > 0, fps > 0 { return max(1, Int((fps / target).rounded())) }
        return max(1, every)
    }
}
