import Foundation
import MienCore
import MienVision

/// Stages that answer from fixtures instead of models, for tests of the pipeline around them (an `Engine` made
/// with `Engine(detector:landmarker:classifier:)`). Each counts its calls, so a test can check how often a stage ran.

/// Reports the same boxes for every image.
// Safe to share: `count` is changed only under `lock`; `boxes` never changes.
public final class FixedFaceDetector: FaceDetecting, @unchecked Sendable {
    public let boxes: [FaceBox]
    private let lock = NSLock()
    private var count = 0

    public init(boxes: [FaceBox]) { self.boxes = boxes }

    public var name: String { "fixed" }
    public var calls: Int { lock.withLock { count } }

    public func detect(in image: Image) throws -> [FaceBox] {
        lock.withLock { count += 1 }
        return boxes
    }
}

/// Places a frontal iBUG-68 face, scaled into each box (the generic face of `GenericFace3D`, projected flat).
public struct BoxLandmarker: LandmarkLocating {
    public init() {}
    public var layout: LandmarkLayout { .ibug68 }

    public func locate(in image: Image, box: FaceBox) throws -> FaceLandmarks {
        // A neutral face in box units: eyes at 0.35 of the height, mouth at 0.75, jaw along the sides.
        var points = [Point2](repeating: Point2(0.5, 0.5), count: 68)
        for i in 0...16 { points[i] = Point2(0.1 + 0.8 * Double(i) / 16, 0.4 + 0.5 * sin(Double(i) / 16 * .pi)) }
        for i in 17...21 { points[i] = Point2(0.2 + 0.05 * Double(i - 17), 0.25) }
        for i in 22...26 { points[i] = Point2(0.6 + 0.05 * Double(i - 22), 0.25) }
        for i in 27...30 { points[i] = Point2(0.5, 0.35 + 0.07 * Double(i - 27)) }
        for i in 31...35 { points[i] = Point2(0.42 + 0.04 * Double(i - 31), 0.6) }
        let eye: [Point2] = [Point2(-0.08, 0), Point2(-0.03, -0.03), Point2(0.03, -0.03), Point2(0.08, 0),
                             Point2(0.03, 0.03), Point2(-0.03, 0.03)]
        for (k, d) in eye.enumerated() {
            points[36 + k] = Point2(0.32 + d.x, 0.35 + d.y)
            points[42 + k] = Point2(0.68 + d.x, 0.35 + d.y)
        }
        for i in 48...59 {
            let a = Double(i - 48) / 12 * 2 * .pi
            points[i] = Point2(0.5 - 0.15 * cos(a), 0.75 - 0.05 * sin(a))
        }
        for i in 60...67 {
            let a = Double(i - 60) / 8 * 2 * .pi
            points[i] = Point2(0.5 - 0.1 * cos(a), 0.75 - 0.02 * sin(a))
        }
        let r = box.rect
        let placed = points.map { Point2(r.x + $0.x * r.width, r.y + $0.y * r.height) }
        guard let landmarks = FaceLandmarks(layout: .ibug68, points: placed) else {
            throw AnalysisError.backend(stage: "landmarks", reason: "fixture has the wrong point count")
        }
        return landmarks
    }
}

/// Gives every face the same probabilities.
public struct FixedClassifier: ExpressionClassifying {
    public let classes: [String]
    public let probabilities: [Double]
    public let threshold: Double

    public init(classes: [String] = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                     "contempt"],
                probabilities: [Double] = [0.1, 0.8, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01], threshold: Double = 0.5) {
        self.classes = classes
        self.probabilities = probabilities
        self.threshold = threshold
    }

    public var template: AlignmentTemplate { .ferFraming.with(size: 48, channels: 1) }
    public var modelVersion: String { "fixed@1" }

    public func classes(for labels: ExpressionLabelSet) -> [String]? { classes }

    public func classify(_ faces: [AlignedFace], flipAverage: Bool?, prior: ExpressionPrior,
                         labels: ExpressionLabelSet) throws -> [ExpressionEstimate] {
        faces.map { _ in
            ExpressionEstimate(classes: classes, probabilities: probabilities, threshold: threshold, model: modelVersion)
        }
    }
}
