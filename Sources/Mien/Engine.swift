import Foundation
import MienCore
import MienVision
import MienVoice

/// The loaded models of one process: face detector, landmark model, expression and voice networks. Built once,
/// read-only, shared by every analyser, session and thread in the process (a server makes one at start-up).
///
/// Stages that must not run two calls at once (OpenCV DNN nets, dlib's HOG scanner) live in pools of per-thread
/// instances, at most `Configuration.instances` of each (default: the number of cores), made on demand; the
/// landmark model's packed trees are read-only and shared by all threads. Making an engine loads and checks every
/// model it is asked for, so a missing or altered file fails here, not on the first face.
public final class Engine: Sendable {
    public struct Configuration: Sendable {
        /// Face detector (README, "Face detection"): BlazeFace full + short range by default.
        public var detector: AnalysisOptions.Detector = .blaze
        /// Where the models are; nil = `ModelLocator`.
        public var modelsDirectory: URL?
        /// Load the expression network. A measures-only process leaves it out (and cannot produce estimates).
        public var expressionModel = true
        /// Instances of each pooled stage, i.e. how many analyses run at once.
        public var instances = ProcessInfo.processInfo.activeProcessorCount
        /// The 68-point landmark model; nil = $MIEN_LANDMARK_MODEL or Debian's libdlib-data file.
        public var landmarkModel: String?
        /// Load the 478-point face mesh and the blendshapes model (Models/FACEMESH.md).
        public var faceMesh = false
        /// Load the body detector and 33-keypoint model (Models/POSE.md).
        public var body = false

        public init(detector: AnalysisOptions.Detector = .blaze, modelsDirectory: URL? = nil,
                    expressionModel: Bool = true,
                    instances: Int = ProcessInfo.processInfo.activeProcessorCount, faceMesh: Bool = false,
                    body: Bool = false) {
            self.detector = detector
            self.modelsDirectory = modelsDirectory
            self.expressionModel = expressionModel
            self.instances = instances
            self.faceMesh = faceMesh
            self.body = body
        }
    }

    public let configuration: Configuration
    public let modelsDirectory: URL?
    /// Seconds it took to load and check the models.
    public let loadSeconds: Double
    /// The detector's name, e.g. "blazeface-full+blazeface-short".
    public let detectorName: String

    let detectors: InstancePool<any FaceDetecting>
    let landmarker: any LandmarkLocating
    let classifiers: InstancePool<any ExpressionClassifying>?
    let pose = PoseEstimator()
    /// The face mesh and blendshapes networks, pooled like the classifiers; nil when not loaded.
    let meshes: InstancePool<FaceMeshLandmarker>?
    let blendshapeNets: InstancePool<BlendshapeEstimator>?
    /// The body detector + keypoint networks, pooled like the mesh; nil when not loaded.
    let bodies: InstancePool<BodyLandmarker>?
    /// What the classifier says about itself (constant for the engine's life).
    let expressionInfo: ExpressionModelInfo?
    private let voice = VoiceModelSlot()

    /// Loads the models `configuration` names.
    /// - Throws: `AnalysisError.modelMissing` / `.modelInvalid` naming the file.
    public init(_ configuration: Configuration = Configuration()) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        self.configuration = configuration
        let models = configuration.modelsDirectory ?? ModelLocator.directory()
        modelsDirectory = models
        let choice = configuration.detector
        let firstDetector = try DetectorFactory.make(choice, modelsDirectory: models)
        detectorName = firstDetector.name
        detectors = InstancePool(capacity: configuration.instances, first: firstDetector) {
            try DetectorFactory.make(choice, modelsDirectory: models)
        }
        landmarker = try DlibLandmarker(path: configuration.landmarkModel)
        if configuration.expressionModel {
            guard let models else {
                throw AnalysisError.modelMissing(path: "Models/expression.onnx",
                                                 hint: "Set MIEN_MODELS to the Models folder of a Mien checkout, "
                                                 + "or ask for measures only.")
            }
            let first = try OnnxExpressionClassifier(modelsDirectory: models)
            expressionInfo = ExpressionModelInfo(first)
            classifiers = InstancePool(capacity: configuration.instances, first: first) {
                try OnnxExpressionClassifier(modelsDirectory: models)
            }
        } else {
            classifiers = nil
            expressionInfo = nil
        }
        if configuration.faceMesh {
            guard let models else {
                throw AnalysisError.modelMissing(path: "Models/\(FaceMeshLandmarker.fileName)",
                                                 hint: "Set MIEN_MODELS to the Models folder of a Mien checkout, "
                                                 + "or turn blendshapes off.")
            }
            meshes = InstancePool(capacity: configuration.instances,
                                  first: try FaceMeshLandmarker(modelsDirectory: models)) {
                try FaceMeshLandmarker(modelsDirectory: models)
            }
            blendshapeNets = InstancePool(capacity: configuration.instances,
                                          first: try BlendshapeEstimator(modelsDirectory: models)) {
                try BlendshapeEstimator(modelsDirectory: models)
            }
        } else {
            meshes = nil
            blendshapeNets = nil
        }
        if configuration.body {
            guard let models else {
                throw AnalysisError.modelMissing(path: "Models/\(BodyLandmarker.landmarkFileName)",
                                                 hint: "Set MIEN_MODELS to the Models folder of a Mien checkout, "
                                                 + "or turn body keypoints off.")
            }
            bodies = InstancePool(capacity: configuration.instances, first: try BodyLandmarker(modelsDirectory: models)) {
                try BodyLandmarker(modelsDirectory: models)
            }
        } else {
            bodies = nil
        }
        loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// An engine over stages the caller made (tests, experiments). Each is used by one thread at a time.
    public init(detector: any FaceDetecting, landmarker: any LandmarkLocating,
                classifier: (any ExpressionClassifying)?) {
        configuration = Configuration(expressionModel: classifier != nil, instances: 1)
        modelsDirectory = ModelLocator.directory()
        detectorName = detector.name
        detectors = InstancePool(capacity: 1, first: detector) { detector }
        self.landmarker = landmarker
        classifiers = classifier.map { c in InstancePool(capacity: 1, first: c) { c } }
        expressionInfo = classifier.map(ExpressionModelInfo.init)
        meshes = nil
        blendshapeNets = nil
        bodies = nil
        loadSeconds = 0
    }

    /// True when the face mesh and blendshapes models are loaded.
    public var hasFaceMesh: Bool { meshes != nil && blendshapeNets != nil }
    /// True when the body keypoint models are loaded.
    public var hasBody: Bool { bodies != nil }

    /// "name@version" of the expression model; nil when none is loaded.
    public var expressionModelVersion: String? { expressionInfo?.version }
    /// The expression classes in output order; nil when no model is loaded.
    public var expressionClasses: [String]? { expressionInfo?.classes }
    /// The expression classes in output order for a label set; nil when no model is loaded.
    public func expressionClasses(for labels: ExpressionLabelSet) -> [String]? {
        labels == .perceived ? expressionInfo?.classes : expressionInfo?.intendedClasses
    }
    /// The class priors the expression model is calibrated for (empty when none is loaded).
    public var expressionPriors: [ExpressionPrior] { expressionInfo?.priors ?? [] }
    /// Per-class recall of the expression model on its test split (for report labels), when known.
    public var perClassRecall: [String: Double]? { expressionInfo?.perClassRecall }

    /// Analyses running and waiting right now (for a server's metrics).
    public var load: (running: Int, waiting: Int) {
        let u = detectors.usage
        return (u.lent, u.waiting)
    }

    /// The alignment template crops are cut to: the expression model's own, else FER framing.
    var template: AlignmentTemplate { expressionInfo?.template ?? .ferFraming }

    /// The voice model, loaded on first use and then shared (its network serialises its own calls).
    func voiceModel() throws -> VocalExpressionModel {
        try voice.get {
            try VocalExpressionModel(specURL: try modelsDirectory.map {
                $0.appendingPathComponent(VoiceAnalyzer.modelFileName)
            } ?? ModelLocator.file(VoiceAnalyzer.modelFileName))
        }
    }
}

/// The facts about an expression model that reports and audit records need, read once.
struct ExpressionModelInfo: Sendable {
    var version: String
    var classes: [String]?
    /// The classes of the intended-labels head (FER2013's), when the model has one.
    var intendedClasses: [String]?
    var perClassRecall: [String: Double]?
    var template: AlignmentTemplate
    /// The class priors the model is calibrated for.
    var priors: [ExpressionPrior]

    init(_ classifier: any ExpressionClassifying) {
        version = classifier.modelVersion
        template = classifier.template
        let onnx = classifier as? OnnxExpressionClassifier
        classes = onnx?.head.classes
        intendedClasses = classifier.classes(for: .intended)
        perClassRecall = onnx?.head.perClassRecall
        priors = onnx?.head.availablePriors ?? ExpressionPrior.allCases
    }
}

/// The lazily loaded voice model of an engine.
// Safe to share: `model` is written once, under `lock`; `VocalExpressionModel` serialises its own forwards.
private final class VoiceModelSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var model: VocalExpressionModel?

    func get(_ load: () throws -> VocalExpressionModel) throws -> VocalExpressionModel {
        try lock.withLock {
            if let model { return model }
            let loaded = try load()
            model = loaded
            return loaded
        }
    }
}
