import Crypto
import Foundation
import MienCore
import MienStore

/// Every option of a batch run that changes results, as one value: it is hashed with the model versions into the
/// run's fingerprint, which is part of every task key, so a result is only reused for the same input, models and
/// options.
public struct BatchSettings: Sendable, Codable, Hashable {
    public var detector = AnalysisOptions.Detector.blaze.rawValue
    public var maxPixels = 50_000_000
    public var crops = false
    public var flipAverage: Bool?
    public var measuresOnly = false
    /// The expression prior's name; nil is the natural prior (so runs made before priors existed keep their keys).
    public var prior: String?
    /// The label set's name (`ExpressionLabelSet`); nil is perceived (so earlier runs keep their keys).
    public var labelSet: String?
    /// Video: analyse every Nth frame, or about this many frames per second.
    public var videoEvery = 1
    public var videoFPS: Double?
    /// Video: run the face detector on every kth analysed frame of the video and follow faces by their landmarks in
    /// between, as `mien video` does, but with the detection inline on the due frame (`VideoOptions.discovery`), so
    /// the results depend on nothing but the input and a resumed or segmented run exports what an uninterrupted one
    /// does (docs/BATCH.md). 1 detects on every frame (what runs made before 2026-12-01 did).
    public var detectEvery = 10
    public var smoothingSeconds = 0.4
    /// Video: a video longer than two segments of this many seconds is cut into segments analysed in parallel and
    /// stitched back (`SegmentedVideoAnalysis`); 0 analyses every video in one piece. nil (runs made before
    /// segments existed) is one piece too.
    public var videoSegmentSeconds: Double? = 60
    /// The face mesh (52 blendshapes, iris gaze; `--blendshapes`): on every Kth analysed frame of a video's tracks,
    /// on every face of an image. nil = off, and absent from the settings' JSON, so runs made before the mesh was
    /// offered keep their fingerprint.
    public var blendshapesEvery: Int?
    /// Body keypoints (`--body`): on every Kth analysed frame of a video, on every face of an image. nil = off (and
    /// absent from the JSON, as `blendshapesEvery`).
    public var bodyEvery: Int?

    public init() {}

    public var analysisOptions: AnalysisOptions {
        var o = AnalysisOptions()
        o.detector = AnalysisOptions.Detector(rawValue: detector) ?? .blaze
        o.maxPixels = maxPixels
        o.crops = crops
        o.flipAverage = flipAverage
        o.measuresOnly = measuresOnly
        o.prior = prior.flatMap(ExpressionPrior.init(rawValue:)) ?? .natural
        o.labelSet = labelSet.flatMap(ExpressionLabelSet.init(rawValue:)) ?? .perceived
        o.blendshapes = blendshapesEvery != nil
        o.body = bodyEvery != nil
        return o
    }

    public var videoOptions: VideoOptions {
        var o = VideoOptions()
        // As `mien video`: no mirrored view (smoothing over time averages views), and frames are never crops.
        o.analysis = analysisOptions
        o.analysis.crops = false
        o.analysis.flipAverage = false
        o.every = videoEvery
        o.targetFPS = videoFPS
        o.detectEvery = detectEvery
        o.discovery = .inline
        o.smoothingSeconds = smoothingSeconds
        o.blendshapesEvery = blendshapesEvery ?? 0
        o.bodyEvery = bodyEvery ?? 0
        o.thumbnails = false
        o.deliverFrames = false
        return o
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// SHA-256 over the settings, the model versions and the result format.
    public func fingerprint(models: String) -> String {
        TaskKey.hex(SHA256.hash(data: Data(("mien-batch/1\n" + json + "\n" + models).utf8)))
    }
}

/// Task keys: SHA-256 of the input's content digest and the run's fingerprint.
public enum TaskKey {
    public static func make(contentDigest: String, fingerprint: String) -> String {
        hex(SHA256.hash(data: Data((contentDigest + "\n" + fingerprint).utf8)))
    }

    /// The key of an input that could not be read: it still becomes a task, which fails with the reason.
    public static func unreadable(path: String, fingerprint: String) -> String {
        make(contentDigest: "unreadable:" + path, fingerprint: fingerprint)
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
