import MienCore
import XCTest

final class GeometryTests: XCTestCase {
    func testSimilarityFitRecoversAKnownTransform() throws {
        let truth = SimilarityTransform(scale: 0.37, rotation: 0.3, tx: 12, ty: -7)
        let source = [Point2(10, 20), Point2(200, 40), Point2(90, 180), Point2(150, 150)]
        let fitted = try XCTUnwrap(SimilarityTransform.fit(from: source, to: source.map(truth.apply)))
        XCTAssertEqual(fitted.scale, 0.37, accuracy: 1e-9)
        XCTAssertEqual(fitted.rotation, 0.3, accuracy: 1e-9)
        let p = Point2(33, 44)
        XCTAssertEqual(fitted.apply(p).x, truth.apply(p).x, accuracy: 1e-6)
        let back = fitted.inverse.apply(fitted.apply(p))
        XCTAssertEqual(back.x, p.x, accuracy: 1e-6)
        XCTAssertEqual(back.y, p.y, accuracy: 1e-6)
    }

    func testIoU() {
        let a = Rect(x: 0, y: 0, width: 10, height: 10)
        XCTAssertEqual(a.iou(a), 1)
        XCTAssertEqual(a.iou(Rect(x: 5, y: 0, width: 10, height: 10)), 50.0 / 150.0, accuracy: 1e-12)
        XCTAssertEqual(a.iou(Rect(x: 20, y: 20, width: 5, height: 5)), 0)
    }

    func testMovementMeasuresAreScaleAndRotationFree() throws {
        // The template face, then the same face 3× larger and rotated 20°.
        let base: [Point2] = (0..<68).map { (i: Int) -> Point2 in
            let x: Double = Double(i % 17) * 3 + Double(i / 17)
            let y: Double = Double(i / 17) * 10 + Double(i % 5)
            return Point2(x, y)
        }
        let l1 = try XCTUnwrap(FaceLandmarks(points: base))
        let t = SimilarityTransform(scale: 3, rotation: 20 * .pi / 180, tx: 40, ty: 9)
        let l2 = try XCTUnwrap(FaceLandmarks(points: base.map(t.apply)))
        let m1 = try XCTUnwrap(MovementMeasures(landmarks: l1)), m2 = try XCTUnwrap(MovementMeasures(landmarks: l2))
        for (a, b) in zip(m1.named, m2.named) { XCTAssertEqual(a.1, b.1, accuracy: 1e-9, a.0) }
    }

    func testCalibrationMath() {
        let p = Calibration.softmax([2, 1, 0], temperature: 0.5)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertGreaterThan(p[0], Calibration.softmax([2, 1, 0])[0], "T < 1 sharpens")
        XCTAssertEqual(Calibration.expectedCalibrationError(confidences: [0.9, 0.9], correct: [true, false]), 0.4, accuracy: 1e-12)
    }

    func testAbstentionBelowThreshold() {
        let e = ExpressionEstimate(classes: Circumplex.ferPlusOrder, probabilities: [0.3, 0.25, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05],
                                   threshold: 0.5, model: "m")
        XCTAssertEqual(e.label, "uncertain")
        XCTAssertEqual(e.topClass, "neutral")
        XCTAssertEqual(e.basis, "facial expression; not a measure of felt emotion")
        let happy = ExpressionEstimate(classes: Circumplex.ferPlusOrder, probabilities: [0, 1, 0, 0, 0, 0, 0, 0],
                                       threshold: 0.5, model: "m")
        XCTAssertEqual(happy.label, "happiness")
        XCTAssertGreaterThan(happy.valence, 0.9)
    }
}
