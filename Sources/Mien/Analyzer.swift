import Foundation
import MienCore
import MienVision

/// Mien's front door for still images: `try Analyzer().analyze(imageAt: url)`.
///
/// decode → detect → landmarks → head pose + movement measures → align → classify (batched) → `ImageAnalysis`.
/// An analyser is an `Engine` (loaded models, shared) plus a `Session` (purpose, actor, audit; cheap) plus
/// `AnalysisOptions`. `Analyzer()` makes all three; a server or batch runner makes one engine and an analyser per
/// session: `Analyzer(engine: engine, session: try Session(governance: g))`. Safe to share between threads.
public final class Analyzer: Sendable {
    public let engine: Engine
    public let session: Session
    public let options: AnalysisOptions
    private let faces: FacePipeline
    private let decoder: ImageDecoder

    /// Loads an engine of its own for `options` (detector, models) under `governance`.
    /// - Throws: `PolicyRefusal` when the purpose may not have what the options ask for (the refusal is audited,
    ///   and no model is loaded); `AnalysisError` when a model is missing or broken.
    public convenience init(options: AnalysisOptions = AnalysisOptions(), governance: Governance = .localDefault()) throws {
        let session = try Session(governance: governance, measuresOnly: options.measuresOnly)
        let engine = try Engine(Engine.Configuration(detector: options.detector, modelsDirectory: options.modelsDirectory,
                                                     expressionModel: session.grantsExpressions,
                                                     faceMesh: options.blendshapes, body: options.body))
        try self.init(engine: engine, session: session, options: options)
    }

    /// An analyser over a shared engine. Cheap: loads nothing.
    /// - Throws: `AnalysisError.modelMissing` when the session grants estimates that the options ask for but the
    ///   engine was built without an expression model.
    public init(engine: Engine, session: Session, options: AnalysisOptions = AnalysisOptions()) throws {
        if session.grantsExpressions && !options.measuresOnly && engine.classifiers == nil {
            throw AnalysisError.modelMissing(path: "Models/expression.onnx",
                                             hint: "This engine was built for measures only; build it with the "
                                             + "expression model, or ask for measures only.")
        }
        if session.grantsExpressions && !options.measuresOnly, let info = engine.expressionInfo,
           !info.priors.contains(options.prior) {
            throw AnalysisError.priorNotCalibrated(prior: options.prior.rawValue, model: info.version,
                                                   available: info.priors.map(\.rawValue))
        }
        self.engine = engine
        self.session = session
        self.options = options
        faces = FacePipeline(engine: engine, options: options)
        decoder = ImageDecoder(maxPixels: options.maxPixels)
    }

    public var governance: Governance { session.governance }
    public var decision: PolicyDecision { session.decision }
    /// True when analyses produce expression estimates (granted, asked for, and a model is loaded).
    public var producesExpressions: Bool {
        session.grantsExpressions && !options.measuresOnly && engine.classifiers != nil
    }
    /// The expression model's "name@version"; nil when no estimates are produced.
    public var modelVersion: String? { producesExpressions ? engine.expressionModelVersion : nil }

    /// Analyses one image file; the analysis is in the audit log before this returns.
    public func analyze(imageAt url: URL) throws -> ImageAnalysis {
        try analyzeKeepingPicture(at: url).0
    }

    /// Analyses encoded image bytes (the server's path); audited like a file.
    public func analyze(imageData data: Data, source: String) throws -> ImageAnalysis {
        try analyzeKeepingPicture(data: data, source: source).0
    }

    /// Analyses a file and also returns the decoded picture (for annotation), without decoding twice.
    public func analyzeKeepingPicture(at url: URL) throws -> (ImageAnalysis, Picture) {
        try analyzeKeepingPicture(data: try decoder.read(fileAt: url), source: url.path)
    }

    public func analyzeKeepingPicture(data: Data, source: String) throws -> (ImageAnalysis, Picture) {
        let start = Clock.now
        let image = try decoder.decode(data, source: source)
        let decodeMs = Clock.ms(since: start)
        var result = try analyze(image, source: source)
        result.timings["decode"] = decodeMs
        try audit(result, inputDigest: Governance.digest(of: data))
        return (result, Picture(image))
    }

    /// Analyses every file in `urls` in order, one at a time: a lazy sequence whose memory does not grow with the
    /// corpus. Each element is the analysis or the failure of one input; each analysis is audited.
    public func analyses(of urls: [URL]) -> AnalysisStream {
        AnalysisStream(analyzer: self, urls: urls)
    }

    /// Writes the audit record (and, only when retention is enabled, the report) for one analysed input.
    func audit(_ result: ImageAnalysis, inputDigest: String) throws {
        var produced: Set<OutputKind> = []
        if result.faces.contains(where: { $0.measures != nil }) { produced.insert(.measures) }
        if result.faces.contains(where: { $0.expression != nil }) { produced.insert(.expressions) }
        try session.record(inputDigest: inputDigest, source: result.source, produced: produced,
                           modelVersion: modelVersion, report: try JSONEncoder().encode(result))
    }

    /// Analyses a decoded picture. Not audited by itself: the caller records the input it came from.
    public func analyze(_ picture: Picture, source: String) throws -> ImageAnalysis {
        try analyze(picture.image, source: source)
    }

    func analyze(_ image: Image, source: String) throws -> ImageAnalysis {
        var timings: [String: Double] = [:]
        var t = Clock.now
        let boxes: [FaceBox]
        if options.crops {
            boxes = [FaceBox(rect: Rect(x: 0, y: 0, width: Double(image.width), height: Double(image.height)),
                             score: 1)]
        } else {
            boxes = try engine.detectors.with { try $0.detect(in: image) }
        }
        timings["detect"] = Clock.ms(since: t)

        t = Clock.now
        let located = try boxes.map { box in (box, try faces.landmarks(in: image, box: box)) }
        timings["landmarks"] = Clock.ms(since: t)

        t = Clock.now
        var found = located.map { box, l in
            faces.describe(box: box.rect, score: box.score, landmarks: l, imageWidth: image.width,
                           imageHeight: image.height)
        }
        timings["measures"] = Clock.ms(since: t)

        if options.blendshapes && engine.hasFaceMesh {
            t = Clock.now
            for i in found.indices {
                let movement = try faces.meshMovement(in: image, box: located[i].0, face: found[i])
                found[i].blendshapes = movement?.0
                found[i].gaze = movement?.1
            }
            timings["blendshapes"] = Clock.ms(since: t)
        }

        if options.body && engine.hasBody {
            t = Clock.now
            if let bodies = try faces.bodies(in: image, faces: found.map(\.box)) {
                for i in found.indices { found[i].body = bodies[i].keypoints }
            }
            timings["body"] = Clock.ms(since: t)
        }

        if producesExpressions, let classifiers = engine.classifiers {
            t = Clock.now
            let crops = try found.map { try faces.crop(image, face: $0) }
            timings["align"] = Clock.ms(since: t)
            t = Clock.now
            let estimates = try classifiers.with {
                try $0.classify(crops, flipAverage: options.flipAverage, prior: options.prior, labels: options.labelSet)
            }
            timings["classify"] = Clock.ms(since: t)
            for i in found.indices {
                found[i].expression = faces.gated(estimates[i], pose: found[i].pose)
                found[i].alignment = crops[i].method
            }
        }
        return ImageAnalysis(source: source, width: image.width, height: image.height, faces: found,
                             timings: timings)
    }

    /// The aligned crop of each face, as the classifier would see it (for reports and debugging).
    func alignedFaces(in image: Image, analysis: ImageAnalysis) throws -> [AlignedFace] {
        try analysis.faces.map { try faces.crop(image, face: $0) }
    }
}

/// The analyses of a list of image files, made one at a time as the sequence is walked (`Analyzer.analyses(of:)`).
public struct AnalysisStream: Sequence, Sendable {
    /// One input's outcome: its analysis, or why it failed (`AnalysisError`, `PolicyRefusal`, …).
    public struct Element: Sendable {
        public var url: URL
        public var result: Result<(analysis: ImageAnalysis, picture: Picture), any Error>
    }

    let analyzer: Analyzer
    let urls: [URL]

    public func makeIterator() -> AnyIterator<Element> {
        var index = 0
        return AnyIterator {
            guard index < urls.count else { return nil }
            let url = urls[index]
            index += 1
            return Element(url: url, result: Result { try analyzer.analyzeKeepingPicture(at: url) })
        }
    }
}

/// Monotonic wall-clock helper for stage timings.
enum Clock {
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func ms(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
}
