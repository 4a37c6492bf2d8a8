import Foundation
import MienCore
import MienVision

/// Mien's front door for video files and live streams: `try VideoAnalyzer().analyze(.file(url)) { frame, image in … }`.
///
/// decode (own thread) → detect every k frames, follow faces by landmarks in between → track ids → pose, movement
/// measures, body motion → align → classify (batched over frames) → smoothing, neutral baseline, nods/shakes →
/// one `VideoFrameResult` per analysed frame, in order, to the caller's handler. The policy is checked once at
/// construction and the video is audited once (its SHA-256 for files), after the run, including runs that stop
/// early. Memory does not grow with the video: frames are streamed and per-track state is bounded.
public final class VideoAnalyzer: @unchecked Sendable {
    public let options: VideoOptions
    public let governance: Governance
    /// The still-image analyser whose models and policy decision the video pipeline uses.
    public let stills: Analyzer
    private let aligner: FaceAligner
    private let pose = PoseEstimator()

    public var decision: PolicyDecision { stills.decision }
    /// Frames per second of the analysed frames in the current run (source rate / stride); 0 when unknown.
    public private(set) var analysedFPS: Double = 0
    public var producesExpressions: Bool { stills.classifier != nil }
    /// Per-class recall of the expression model on its test split (for labels in reports), when known.
    public var perClassRecall: [String: Double]? { (stills.classifier as? OnnxExpressionClassifier)?.head.perClassRecall }

    public init(options: VideoOptions = VideoOptions(), governance: Governance = .localDefault()) throws {
        self.options = options
        self.governance = governance
        stills = try Analyzer(options: options.analysis, governance: governance)
        aligner = FaceAligner(template: stills.classifier?.template ?? .ferFraming)
    }

    /// Progress, reported about twice a second.
    public struct Progress: Sendable {
        public var framesAnalysed: Int
        public var framesDecoded: Int
        /// Frames the source says it has (0 when unknown).
        public var framesExpected: Int
        public var time: Double
        public var framesPerSecond: Double
    }

    /// The outcome of a run: the summary plus stage timings (milliseconds per analysed frame) for benchmarks.
    public struct Run: Sendable {
        public var summary: VideoSummary
        public var stageMs: [String: Double]
        public var thumbnails: [Int: Data]
    }

    /// Analyses `input` to its end (or until `shouldStop` returns true), calling `onFrame` for every analysed frame
    /// in order. Throws only when the input cannot be opened (nothing analysed). Anything that stops the run later —
    /// damaged data, a stalled stream, an error thrown by `onFrame` — ends it cleanly: the frames so far stand, and
    /// `summary.stopped` says what happened.
    public func analyze(_ input: VideoInput,
                        shouldStop: @escaping () -> Bool = { false },
                        onProgress: ((Progress) -> Void)? = nil,
                        onFrame: (VideoFrameResult, Image?) throws -> Void) throws -> Run {
        var sourceOptions = VideoSource.Options()
        sourceOptions.start = options.start
        sourceOptions.end = options.end
        sourceOptions.openTimeout = options.openTimeout
        sourceOptions.readTimeout = options.readTimeout
        // The stride needs the source's frame rate, which only opening tells; reopen when it differs from 1.
        var source = try VideoSource(input, options: sourceOptions)
        let stride = options.stride(sourceFPS: source.fps)
        if stride > 1 {
            source.close()
            sourceOptions.every = stride
            source = try VideoSource(input, options: sourceOptions)
        }
        defer { source.close() }
        analysedFPS = source.fps / Double(stride)

        var pipeline = FramePipeline(analyzer: self, width: source.width, height: source.height,
                                     batchFrames: input.isLive ? 1 : max(1, options.batchFrames))
        var summary = VideoSummary(source: input.description, width: source.width, height: source.height,
                                   fps: source.fps)
        summary.outputs = decision.granted.sorted().map(\.rawValue)
        summary.model = stills.modelVersion
        let started = DispatchTime.now().uptimeNanoseconds
        var lastProgress = started
        var firstTime: Double?
        var lastTime = 0.0
        var failure: Error?
        do {
            while !shouldStop() {
                let waitStart = DispatchTime.now().uptimeNanoseconds
                guard let frame = source.next() else { break }
                pipeline.clock.add("decode-wait", nanoseconds: DispatchTime.now().uptimeNanoseconds - waitStart)
                firstTime = firstTime ?? frame.time
                lastTime = frame.time
                try pipeline.push(frame, emit: onFrame)
                let now = DispatchTime.now().uptimeNanoseconds
                if let onProgress, now - lastProgress > 500_000_000 {
                    lastProgress = now
                    let wall = Double(now - started) / 1e9
                    onProgress(Progress(framesAnalysed: pipeline.framesIn, framesDecoded: source.decoded,
                                        framesExpected: source.frameCount, time: frame.time,
                                        framesPerSecond: Double(pipeline.framesIn) / max(wall, 1e-9)))
                }
            }
            try pipeline.flush(emit: onFrame)
        } catch {
            failure = error
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        summary.framesDecoded = source.decoded
        summary.framesAnalysed = pipeline.framesOut
        summary.framesDropped = source.dropped
        summary.duration = lastTime - (firstTime ?? lastTime)
        summary.wallSeconds = wall
        summary.framesPerSecond = Double(pipeline.framesOut) / max(wall, 1e-9)
        summary.stopped = failure.map { "\($0)" } ?? source.stopReason
        let (tracks, events) = pipeline.finish()
        summary.tracks = tracks
        summary.events = events

        try audit(input, summary: summary)
        return Run(summary: summary, stageMs: pipeline.stageMsPerFrame, thumbnails: pipeline.thumbnails)
    }

    /// One audit record per video: the file's SHA-256, or for a live source a digest of its name and start time.
    func audit(_ input: VideoInput, summary: VideoSummary) throws {
        let digest: String
        if case .file(let url) = input {
            digest = try Governance.digest(fileAt: url)
        } else {
            digest = Governance.digest(of: Data("live:\(input.description)@\(Date().timeIntervalSince1970)".utf8))
        }
        var produced: Set<OutputKind> = []
        if summary.tracks.contains(where: { $0.frames > 0 }) {
            produced.insert(.measures)
            if summary.tracks.contains(where: { $0.meanProbabilities != nil }) { produced.insert(.expressions) }
        }
        try governance.record(inputDigest: digest, source: input.description, produced: produced,
                              modelVersion: stills.modelVersion, decision: decision)
    }

    // MARK: - Stages used by the pipeline

    var detector: any FaceDetecting { stills.detector }
    var landmarker: any LandmarkLocating { stills.landmarker }
    var classifier: (any ExpressionClassifying)? { stills.classifier }

    func poseAndMeasures(_ face: inout FaceAnalysis, width: Int, height: Int) {
        guard let l = face.landmarks else { return }
        face.pose = try? pose.estimate(l, imageWidth: width, imageHeight: height)
        face.measures = MovementMeasures(landmarks: l)
    }

    func crop(_ image: Image, face: FaceAnalysis) throws -> AlignedFace {
        if let l = face.landmarks { return try aligner.align(image, landmarks: l) }
        return try aligner.align(image, box: face.box)
    }
}
