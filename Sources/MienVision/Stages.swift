import MienCore

/// A face detector over decoded images. Implementations: `BlazeFaceDetector` (default), `HOGFaceDetector`,
/// `CascadeFaceDetector`. Tests may substitute fixtures.
public protocol FaceDetecting: Sendable {
    var name: String { get }
    func detect(in image: Image) throws -> [FaceBox]
}

/// Places the 68 iBUG landmarks inside a face box.
public protocol LandmarkLocating: Sendable {
    func locate(in image: Image, box: FaceBox) throws -> Landmarks68
}

/// Classifies aligned faces; all faces of an image go through in one batch.
public protocol ExpressionClassifying: Sendable {
    var template: AlignmentTemplate { get }
    var modelVersion: String { get }
    func classify(_ faces: [AlignedFace]) throws -> [ExpressionEstimate]
}
