import Foundation
import MienCore
import MienVision

/// Mien's front door for still images: `try Analyzer().analyze(imageAt: url)`.
///
/// decode → detect → 68 landmarks → head pose + movement measures → align → classify (batched) → `ImageAnalysis`.
/// The CLI and the server call exactly this. An `Analyzer` holds loaded models (about 100 MB for dlib's
/// landmarks), so make one and reuse it; it is safe to share between threads.
public final class Analyzer: @unchecked Sendable {
    public let options: AnalysisOptions
    /// Purpose, policy and audit: checked once at construction, recorded for every input.
    public let governance: Governance
    public let decision: PolicyDecision
    public let detector: any FaceDetecting
    public let landmarker: any LandmarkLocating
    public let classifier: (any ExpressionClassifying)?
    private let decoder: ImageDecoder
    private let aligner: FaceAligner
    private let pose = PoseEstimator()

    /// - Throws: `PolicyRefusal` when the governance's purpose may not have what the options ask for (the refusal
    ///   is audited); `AnalysisError` when a model is missing or broken.
    public init(options: AnalysisOptions = AnalysisOptions(), governance: Governance = .localDefault()) throws {
        self.options = options
        self.governance = governance
        decision = try governance.authorize(Self.requested(options))
        decoder = ImageDecoder(maxPixels: options.maxPixels)
        let models = options.modelsDirectory ?? ModelLocator.directory()
        detector = try DetectorFactory.make(options.detector, modelsDirectory: models)
        landmarker = try DlibLandmarker()
        if !decision.granted.contains(.expressions) {
            classifier = nil
        } else {
            guard let models else {
                throw AnalysisError.modelMissing(path: "Models/expression.onnx",
                                                 hint: "Set MIEN_MODELS to the Models folder of a Mien checkout, "
                                                 + "or use --measures-only.")
            }
            classifier = try OnnxExpressionClassifier(modelsDirectory: models, flipAverage: options.flipAverage)
        }
        aligner = FaceAligner(template: classifier?.template ?? AlignmentTemplate.ferFraming
            .with(size: options.alignedSize, channels: options.alignedChannels))
    }

    /// Stages supplied by the caller (tests, experiments).
    public init(options: AnalysisOptions, governance: Governance, detector: any FaceDetecting,
                landmarker: any LandmarkLocating, classifier: (any ExpressionClassifying)?) throws {
        self.options = options
        self.governance = governance
        decision = try governance.authorize(Self.requested(options))
        decoder = ImageDecoder(maxPixels: options.maxPixels)
        self.detector = detector
        self.landmarker = landmarker
        self.classifier = decision.granted.contains(.expressions) ? classifier : nil
        aligner = FaceAligner(template: classifier?.template ?? .ferFraming)
    }

    public var modelVersion: String? { classifier?.modelVersion }

    static func requested(_ options: AnalysisOptions) -> Set<OutputKind> {
        options.measuresOnly ? [.measures] : [.measures, .expressions]
    }

    /// Analyses one image file; the analysis is in the audit log before this returns.
    public func analyze(imageAt url: URL) throws -> ImageAnalysis {
        try analyzeKeepingImage(at: url).0
    }

    /// Analyses encoded image bytes (the server's path); audited like a file.
    public func analyze(imageData data: Data, source: String) throws -> ImageAnalysis {
        try analyzeKeepingImage(data: data, source: source).0
    }

    /// Analyses a file and also returns the decoded image (for annotation), without decoding twice.
    public func analyzeKeepingImage(at url: URL) throws -> (ImageAnalysis, Image) {
        try analyzeKeepingImage(data: try decoder.read(fileAt: url), source: url.path)
    }

    public func analyzeKeepingImage(data: Data, source: String) throws -> (ImageAnalysis, Image) {
        let start = Clock.now
        let image = try decoder.decode(data, source: source)
        let decodeMs = Clock.ms(since: start)
        var result = try analyze(image, source: source)
        result.timings["decode"] = decodeMs
        try audit(result, inputDigest: Governance.digest(of: data))
        return (result, image)
    }

    /// Writes the audit record (and, only when retention is enabled, the report) for one analysed input.
    public func audit(_ result: ImageAnalysis, inputDigest: String) throws {
        var produced: Set<OutputKind> = []
        if result.faces.contains(where: { $0.measures != nil }) { produced.insert(.measures) }
        if result.faces.contains(where: { $0.expression != nil }) { produced.insert(.expressions) }
        try governance.record(inputDigest: inputDigest, source: result.source, produced: produced,
                              modelVersion: modelVersion, decision: decision)
        if governance.retention.isEnabled {
            _ = try governance.storeResult(try JSONEncoder().encode(result), inputDigest: inputDigest)
        }
    }

    /// Analyses an already decoded image or video frame. Not audited by itself: the caller (e.g. the video
    /// analyser) records the input it came from.
    public func analyze(_ image: Image, source: String) throws -> ImageAnalysis {
        var timings: [String: Double] = [:]
        var t = Clock.now
        let boxes: [FaceBox]
        if options.crops {
            boxes = [FaceBox(rect: Rect(x: 0, y: 0, width: Double(image.width), height: Double(image.height)),
                             score: 1)]
        } else {
            boxes = try detector.detect(in: image)
        }
        timings["detect"] = Clock.ms(since: t)

        t = Clock.now
        var faces: [FaceAnalysis] = []
        for box in boxes {
            let landmarks = try landmarker.locate(in: image, box: box)
            faces.append(FaceAnalysis(box: box.rect, score: box.score, landmarks: landmarks))
        }
        timings["landmarks"] = Clock.ms(since: t)

        t = Clock.now
        for i in faces.indices {
            guard let l = faces[i].landmarks else { continue }
            faces[i].pose = try? pose.estimate(l, imageWidth: image.width, imageHeight: image.height)
            faces[i].measures = MovementMeasures(landmarks: l)
        }
        timings["measures"] = Clock.ms(since: t)

        if let classifier {
            t = Clock.now
            let crops = try faces.map { face -> AlignedFace in
                if let l = face.landmarks, usableLandmarks(l, in: face.box) {
                    return try aligner.align(image, landmarks: l)
                }
                // A pre-cropped face (--crops) is already framed: scale it whole rather than re-framing a box.
                return options.crops ? try aligner.alignWhole(image) : try aligner.align(image, box: face.box)
            }
            timings["align"] = Clock.ms(since: t)
            t = Clock.now
            let estimates = try classifier.classify(crops)
            timings["classify"] = Clock.ms(since: t)
            for i in faces.indices {
                faces[i].expression = estimates[i].gated(by: faces[i].pose, limit: options.maxHeadRotationForExpression)
                faces[i].alignment = crops[i].method
            }
        }
        return ImageAnalysis(source: source, width: image.width, height: image.height, faces: faces,
                             timings: timings)
    }

    /// The aligned crop of each face, as the classifier would see it (for reports and debugging).
    public func alignedFaces(in image: Image, analysis: ImageAnalysis) throws -> [AlignedFace] {
        try analysis.faces.map { face in
            if let l = face.landmarks { return try aligner.align(image, landmarks: l) }
            return try aligner.align(image, box: face.box)
        }
    }

    /// In --crops mode dlib may lock on to noise in a tiny crop; fall back to centring when the fit is implausible.
    private func usableLandmarks(_ l: Landmarks68, in box: Rect) -> Bool {
        let iod = l.interOcularDistance
        return iod > 0.15 * box.width && iod < 0.9 * box.width
    }
}

/// Monotonic wall-clock helper for stage timings.
enum Clock {
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func ms(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
}

