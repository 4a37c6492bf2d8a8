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
    /// Size and channels of the aligned crop reported to callers who ask for it (the classifier makes its own).
    public var alignedSize = 64
    public var alignedChannels = 1
    /// Where the models are; nil = `ModelLocator`.
    public var modelsDirectory: URL? = nil

    public init() {}
}
