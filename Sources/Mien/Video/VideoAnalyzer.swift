import Foundation
import MienCore
import MienVision

/// Mien's front door for video files and live streams: `try VideoAnalyzer().analyze(.file(url)) { frame, picture in … }`.
///
/// decode (own thread) → detect every k frames, follow faces by landmarks in between → track ids → the per-face
/// pipeline (pose, movement measures, aligned crop) and body motion → classify (batched over frames) → smoothing,
/// neutral baseline, nods/shakes → one `VideoFrameResult` per analysed frame, in order, to the caller's handler.
/// Like `Analyzer`, it is an `Engine` plus a `Session`: the policy is checked when the session is made, and the
/// video is audited once, after the run, including runs that stop early. Memory does not grow with the video:
/// frames are streamed and per-track state is bounded. Safe to share: each run keeps its state to itself.
public final class VideoAnalyzer: Sendable {
    public let engine: Engine
    public let session: Session
    public let options: VideoOptions
    let faces: FacePipeline

    /// Loads an engine of its own for `options.analysis` under `governance`.
    public convenience init(options: VideoOptions = VideoOptions(), governance: Governance = .localDefault()) throws {
        let session = try Session(governance: governance, measuresOnly: options.analysis.measuresOnly)
        let engine = try Engine(Engine.Configuration(detector: options.analysis.detector,
                                                     modelsDirectory: options.analysis.modelsDirectory,
                                                     expressionModel: session.grantsExpressions,
                                                     faceMesh: options.analysis.blendshapes
                                                        && options.blendshapesEvery > 0,
                                                     body: options.analysis.body && options.bodyEvery > 0))
        try self.init(engine: engine, session: session, options: options)
    }

    /// An analyser over a shared engine. Cheap: loads nothing.
    public init(engine: Engine, session: Session, options: VideoOptions = VideoOptions()) throws {
        // The still-image analyser checks the same engine/session/options combination.
        _ = try Analyzer(engine: engine, session: session, options: options.analysis)
        self.engine = engine
        self.session = session
        self.options = options
        faces = FacePipeline(engine: engine, options: options.analysis)
    }

    /// The mesh runs on every `meshEvery`-th frame of each track; 0 when blendshapes are off or the engine has no
    /// mesh (an engine built without `Configuration.faceMesh`, e.g. the batch runner's).
    public var meshEvery: Int {
        options.analysis.blendshapes && engine.hasFaceMesh ? max(0, options.blendshapesEvery) : 0
    }

    /// The body stage runs on every `bodyEvery`-th analysed frame; 0 when off or the engine has no body models.
    public var bodyEvery: Int { options.analysis.body && engine.hasBody ? max(0, options.bodyEvery) : 0 }

    public var governance: Governance { session.governance }
    public var decision: PolicyDecision { session.decision }
    public var producesExpressions: Bool {
        session.grantsExpressions && !options.analysis.measuresOnly && engine.classifiers != nil
    }
    /// The expression model's "name@version"; nil when no estimates are produced.
    public var modelVersion: String? { producesExpressions ? engine.expressionModelVersion : nil }
    /// The expression classes in output order (CSV columns); nil when no estimates are produced.
    public var expressionClasses: [String]? {
        producesExpressions ? engine.expressionClasses(for: options.analysis.labelSet) : nil
    }
    /// Per-class recall of the expression model on its test split (for labels in reports), when known.
    public var perClassRecall: [String: Double]? { producesExpressions ? engine.perClassRecall : nil }

    /// Checks that a file exists and is a video rather than a still image, before any model work.
    public static func checkFile(_ url: URL) throws { try VideoSource.checkFile(url) }

    /// What the source said about itself when it opened.
    public struct SourceInfo: Sendable {
        public var width: Int
        public var height: Int
        /// The source's frame rate (0 when unknown).
        public var fps: Double
        /// Frames per second of the analysed frames (source rate / stride); 0 when unknown.
        public var analysedFPS: Double
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
        public var source: SourceInfo
    }

    /// Analyses `input` to its end (or until `shouldStop` returns true), calling `onFrame` for every analysed frame
    /// in order. Throws only when the input cannot be opened (nothing analysed). Anything that stops the run later —
    /// damaged data, a stalled stream, an error thrown by `onFrame` — ends it cleanly: the frames so far stand, and
    /// `summary.stopped` says what happened. `onOpen` hears the source's size and rate before the first frame.
    public func analyze(_ input: VideoInput,
                        shouldStop: @escaping () -> Bool = { false },
                        onOpen: ((SourceInfo) throws -> Void)? = nil,
                        onProgress: ((Progress) -> Void)? = nil,
                        onFrame: (VideoFrameResult, Picture?) throws -> Void) throws -> Run {
        try analyze(input, audited: true, shouldStop: shouldStop, onOpen: onOpen, onProgress: onProgress,
                    onFrame: onFrame)
    }

    /// `audited: false` only for the parts of one video that `SegmentedVideoAnalysis` audits as a whole.
    func analyze(_ input: VideoInput, audited: Bool,
                 shouldStop: @escaping () -> Bool = { false },
                 onOpen: ((SourceInfo) throws -> Void)? = nil,
                 onProgress: ((Progress) -> Void)? = nil,
                 onFrame: (VideoFrameResult, Picture?) throws -> Void) throws -> Run {
        var sourceOptions = VideoSource.Options()
        sourceOptions.start = options.start
        sourceOptions.end = options.end
        sourceOptions.openTimeout = options.openTimeout
        sourceOptions.readTimeout = options.readTimeout
        sourceOptions.maxPixels = options.analysis.maxPixels
        // The stride needs the source's frame rate, which only opening tells; reopen when it differs from 1.
        var source = try VideoSource(input, options: sourceOptions)
        let stride = options.stride(sourceFPS: source.fps)
        if stride > 1 {
            source.close()
            sourceOptions.every = stride
            source = try VideoSource(input, options: sourceOptions)
        }
        defer { source.close() }
        let info = SourceInfo(width: source.width, height: source.height, fps: source.fps,
                              analysedFPS: source.fps / Double(stride))
        // The file's digest for the audit record, read beside the decoder (the page cache serves both) rather than
        // in a second pass after the run.
        let digest = audited ? InputDigest(input) : InputDigest(digest: "")

        // One detector and one classifier instance serve this run from start to end (the pipeline runs them on
        // its worker threads); other runs and stills use the engine's other instances.
        let detector = try engine.detectors.acquire()
        defer { engine.detectors.release(detector) }
        let classifier = producesExpressions ? try engine.classifiers?.acquire() : nil
        defer { if let classifier { engine.classifiers?.release(classifier) } }

        var pipeline = FramePipeline(analyzer: self, detector: detector, classifier: classifier,
                                     width: source.width, height: source.height,
                                     batchFrames: input.isLive ? 1 : max(1, options.batchFrames), frameStride: stride)
        var summary = VideoSummary(source: input.description, width: source.width, height: source.height,
                                   fps: source.fps)
        summary.outputs = decision.granted.sorted().map(\.rawValue)
        summary.model = modelVersion
        let started = DispatchTime.now().uptimeNanoseconds
        var lastProgress = started
        var firstTime: Double?
        var lastTime = 0.0
        var failure: Error?
        do {
            try onOpen?(info)
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

        if audited { try audit(input, digest: try digest.value(), summary: summary) }
        return Run(summary: summary, stageMs: pipeline.stageMsPerFrame, thumbnails: pipeline.thumbnails, source: info)
    }

    /// One audit record per video: the file's SHA-256, or for a live source a digest of its name and start time.
    func audit(_ input: VideoInput, digest: String, summary: VideoSummary) throws {
        var produced: Set<OutputKind> = []
        if summary.tracks.contains(where: { $0.frames > 0 }) {
            produced.insert(.measures)
            if summary.tracks.contains(where: { $0.meanProbabilities != nil }) { produced.insert(.expressions) }
        }
        try session.record(inputDigest: digest, source: input.description, produced: produced,
                           modelVersion: modelVersion, report: nil)
    }
}

/// The SHA-256 of an input file for its audit record, computed on a worker thread while the decoder reads the
/// same file (the page cache serves both) rather than in a second pass after the analysis; for a live source, a
/// digest of its name and start time.
// Safe to share: `result` is written once, before `done` is signalled, and read only after waiting on it.
final class InputDigest: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<String, Error> = .success("")

    convenience init(_ input: VideoInput) {
        if case .file(let url) = input {
            self.init(fileAt: url)
        } else {
            self.init(digest: Governance.digest(of: Data("live:\(input.description)@\(Date().timeIntervalSince1970)".utf8)))
        }
    }

    init(digest: String) {
        result = .success(digest)
        done.signal()
    }

    init(fileAt url: URL) {
        DispatchQueue.global(qos: .utility).async { [self] in
            result = Result { try Governance.digest(fileAt: url) }
            done.signal()
        }
    }

    func value() throws -> String {
        done.wait()
        done.signal()
        return try result.get()
    }
}
