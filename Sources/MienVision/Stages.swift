import MienCore

/// A face detector over decoded images. Implementations: `BlazeFaceDetector` (default), `HOGFaceDetector`,
/// `CascadeFaceDetector`. Tests may substitute fixtures.
public protocol FaceDetecting: Sendable {
    var name: String { get }
    func detect(in image: Image) throws -> [FaceBox]
}

/// Places landmarks inside a face box, in the layout it names (dlib: iBUG-68). Implementations must allow
/// calls from several threads at once (the engine shares one landmark model).
public protocol LandmarkLocating: Sendable {
    var layout: LandmarkLayout { get }
    func locate(in image: Image, box: FaceBox) throws -> FaceLandmarks
}

/// Classifies aligned faces; all faces of an image go through in one batch. `flipAverage` nil takes the model's
/// own default (its JSON says whether it was calibrated flip-averaged); `prior` chooses the class prior the
/// probabilities are calibrated under (`AnalysisError.priorNotCalibrated` when the model has no such calibration);
/// `labels` the label set the classes answer in (the model head).
public protocol ExpressionClassifying: Sendable {
    var template: AlignmentTemplate { get }
    var modelVersion: String { get }
    func classify(_ faces: [AlignedFace], flipAverage: Bool?, prior: ExpressionPrior,
                  labels: ExpressionLabelSet) throws -> [ExpressionEstimate]
    /// The classes, in output order, an estimate in `labels` carries; nil when not known before classifying.
    func classes(for labels: ExpressionLabelSet) -> [String]?
}

extension ExpressionClassifying {
    /// Estimates in the perceived labels (the default).
    public func classify(_ faces: [AlignedFace], flipAverage: Bool?, prior: ExpressionPrior) throws -> [ExpressionEstimate] {
        try classify(faces, flipAverage: flipAverage, prior: prior, labels: .perceived)
    }
}
