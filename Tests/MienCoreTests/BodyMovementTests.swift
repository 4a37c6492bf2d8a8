import MienCore
import XCTest

/// The body measures' geometry on hand-placed keypoints: signs, units, what a hidden point does.
final class BodyMovementTests: XCTestCase {
    /// An upright person facing the camera: nose at (100, 100), shoulders at y 160, 80 px apart, hips at y 300.
    func upright(visibility: Double = 0.99) -> [BodyKeypoints.Keypoint] {
        var points = BodyLayout.mediapipe33Names.map {
            BodyKeypoints.Keypoint(name: $0, x: 100, y: 400, visibility: 0.1)
        }
        func put(_ name: String, _ x: Double, _ y: Double, _ v: Double = visibility) {
            let i = BodyLayout.mediapipe33Names.firstIndex(of: name)!
            points[i] = BodyKeypoints.Keypoint(name: name, x: x, y: y, visibility: v)
        }
        put("nose", 100, 100)
        put("left_shoulder", 140, 160)
        put("right_shoulder", 60, 160)
        put("left_hip", 125, 300)
        put("right_hip", 75, 300)
        put("left_wrist", 150, 320)
        put("right_wrist", 50, 320)
        return points
    }

    let face = Rect(x: 75, y: 70, width: 50, height: 60)

    func testUprightPerson() throws {
        let m = BodyMovement(points: upright(), face: face)
        XCTAssertEqual(try XCTUnwrap(m.shoulderHeight), 60.0 / 80.0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(m.shoulderTiltDegrees), 0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(m.leanDegrees), 0, accuracy: 1e-9)
        XCTAssertEqual(m.handToFaceLeft, false)
        XCTAssertEqual(m.handToFaceRight, false)
        // the left wrist at (150, 320): 25 px right of the box, 190 px below it
        XCTAssertEqual(try XCTUnwrap(m.handFaceDistanceLeft), (25.0 * 25 + 190 * 190).squareRoot() / 50, accuracy: 1e-9)
    }

    func testTiltLeanAndContact() throws {
        var p = upright()
        let i = { (n: String) in BodyLayout.mediapipe33Names.firstIndex(of: n)! }
        p[i("left_shoulder")].y = 150       // the person's left shoulder raised 10 px
        p[i("left_hip")].x -= 40            // hips shifted toward the image's left: torso leans right
        p[i("right_hip")].x -= 40
        p[i("right_wrist")].x = 80          // right hand at the chin, inside the box
        p[i("right_wrist")].y = 128
        let m = BodyMovement(points: p, face: face)
        XCTAssertGreaterThan(try XCTUnwrap(m.shoulderTiltDegrees), 5)
        XCTAssertGreaterThan(try XCTUnwrap(m.leanDegrees), 10)
        XCTAssertEqual(m.handToFaceRight, true)
        XCTAssertEqual(try XCTUnwrap(m.handFaceDistanceRight), 0)
        XCTAssertEqual(m.handToFaceLeft, false)
    }

    func testHiddenPointsGiveNoMeasure() {
        let m = BodyMovement(points: upright(visibility: 0.2), face: face)
        XCTAssertNil(m.shoulderHeight)
        XCTAssertNil(m.leanDegrees)
        XCTAssertNil(m.handToFaceLeft, "a hand that is not visible is not called away from the face either")
        XCTAssertNil(m.handFaceDistanceRight)
    }

    func testAssignmentGoesByNoseAndGivesEachBodyOnce() {
        let faces = [Rect(x: 0, y: 0, width: 100, height: 100), Rect(x: 300, y: 0, width: 100, height: 100),
                     Rect(x: 600, y: 0, width: 100, height: 100)]
        // body 0's nose in face 1, body 1's nose just outside face 0 (within the grown box), body 2 nowhere
        let noses = [Point2(350, 50), Point2(110, 50), Point2(500, 500)]
        XCTAssertEqual(BodyAssignment.assign(noses: noses, faces: faces), [1, 0, nil])
        // two bodies in one face: the nearer the centre wins, the other is not given to anyone
        XCTAssertEqual(BodyAssignment.assign(noses: [Point2(90, 90), Point2(52, 48)], faces: [faces[0]]), [1])
    }
}
