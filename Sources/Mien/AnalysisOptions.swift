import Foundation
import MienCore

/// Every knob of an analysis, as one value. Defaults are the measured best choices (README, "Face detection").
public struct AnalysisOptions: Sendable {
    public enum Detector: String, Sendable, CaseIterable {
        case blaze, blazeFull = "blaze-full", blazeShort = "blaze-short", hog, hogUp = "hog-up", haar
    }

    public var detector: Detector = .blaze
    /// Images over this many pixels are refused from their header, before decoding.
    public var maxPixels = 50_000_000
    /// Landmarks, pose and movement only: no expression inference runs at all.
    public var measuresOnly = false
    /// Treat each image as one already-cropped face (research datasets): no detector runs.
    public var crops = false
    /// Average the expression model over the face and its mirror image (2× classifier cost).
    public var flipAverage: Bool? = nil
    /// The class prior expression estimates are calibrated under (`ExpressionPrior`; natural by default).
    public var prior: ExpressionPrior = .default
    /// The label set expression estimates answer in (`ExpressionLabelSet`; perceived by default).
    public var labelSet: ExpressionLabelSet = .default
    /// Size and channels of the aligned crop reported to callers who ask for it (the classifier makes its own).
    public var alignedSize = 64
    public var alignedChannels = 1
    /// Beyond this head rotation (largest of |yaw|, |pitch|, |roll|, degrees) the expression estimate abstains:
    /// FER2013 is mostly near-frontal faces, and on the group sample a man looking down at a laptop (pitch −48°)
    /// read as "sadness 0.87". Probabilities are still reported. 0 disables the check.
    public var maxHeadRotationForExpression = 45.0
    /// Where the models are; nil = `ModelLocator`.
    public var modelsDirectory: URL? = nil
    /// Fit the 478-point face mesh and its 52 blendshape coefficients per face (Models/FACEMESH.md). Movement,
    /// not emotion: measures-only analyses get them too. Needs an engine that loaded the mesh
    /// (`Engine.Configuration.faceMesh`; `Analyzer(options:)` loads it when this is on).
    public var blendshapes = true
    /// Find each face's body and its 33 keypoints, with body movement measures (docs/BODY.md). Off by default
    /// (~150 ms a person on one core); needs an engine that loaded the body models (`Engine.Configuration.body`).
    public var body = false

    public init() {}
}
