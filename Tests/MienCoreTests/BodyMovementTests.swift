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

    func body(_ points: [BodyKeypoints.Keypoint]) -> BodyKeypoints {
        BodyKeypoints(layout: BodyLayout.mediapipe33, points: points, movement: BodyMovement(points: points, face: face))
    }

    /// Shoulder raise against the person's own start, wrist speed in shoulder widths per second, and one
    /// hand-to-face event across samples where the hand hid itself.
    func testTrackRaiseEnergyAndContact() throws {
        let i = { (n: String) in BodyLayout.mediapipe33Names.firstIndex(of: n)! }
        var track = BodyTrack(track: 7, tau: 0.001)
        var events: [MovementEvent] = []
        for t in 0..<5 {   // baseline: shoulder height 0.75, still hands
            let (b, e) = track.update(body(upright()), at: Double(t) * 0.2)
            XCTAssertEqual(try XCTUnwrap(b.movement?.shoulderRaise), 0, accuracy: 1e-9)
            events += [e].compactMap { $0 }
        }
        var p = upright()
        p[i("left_shoulder")].y -= 16   // both shoulders up by 16 px = 0.2 shoulder widths
        p[i("right_shoulder")].y -= 16
        p[i("left_wrist")].x += 40      // left wrist moves 40 px = 0.5 shoulder widths in 0.2 s
        var (b, e) = track.update(body(p), at: 1.0)
        XCTAssertEqual(try XCTUnwrap(b.movement?.shoulderRaise), 0.2, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(b.movement?.gestureEnergyLeft), 2.5, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(b.movement?.gestureEnergyRight), 0, accuracy: 1e-9)
        XCTAssertNil(e)
        // right hand at the chin at 1.2 s, hidden at 1.4 and 1.6 s, back at the chin at 1.8 s, away at 2.0 s
        var touch = upright()
        touch[i("right_wrist")].x = 80
        touch[i("right_wrist")].y = 128
        var hidden = touch
        for n in ["left_wrist", "right_wrist"] { hidden[i(n)].visibility = 0.1 }
        for (t, pts) in [(1.2, touch), (1.4, hidden), (1.6, hidden), (1.8, touch), (2.0, upright())] {
            (b, e) = track.update(body(pts), at: t)
            events += [e].compactMap { $0 }
        }
        XCTAssertEqual(events.count, 1)
        let event = try XCTUnwrap(events.first)
        XCTAssertEqual(event.kind, .handToFace)
        XCTAssertEqual(event.hand, "right")
        XCTAssertEqual(event.track, 7)
        XCTAssertEqual(event.start, 1.2, accuracy: 1e-9)
        XCTAssertEqual(event.end, 2.0, accuracy: 1e-9)
    }

    /// In video the measures are smoothed per track: a sudden lean shows partly at the next sample (0.2 s with a
    /// 0.4 s time constant: 1 − e^−0.5 = 39%), fully only later.
    func testTrackSmoothsLean() throws {
        let i = { (n: String) in BodyLayout.mediapipe33Names.firstIndex(of: n)! }
        var track = BodyTrack(track: 1, tau: 0.4)
        _ = track.update(body(upright()), at: 0)
        var p = upright()
        p[i("left_hip")].x -= 40
        p[i("right_hip")].x -= 40
        let raw = try XCTUnwrap(BodyMovement(points: p, face: face).leanDegrees)
        let (b, _) = track.update(body(p), at: 0.2)
        XCTAssertEqual(try XCTUnwrap(b.movement?.leanDegrees), raw * (1 - exp(-0.5)), accuracy: 1e-9)
        var last = b
        for t in 2...20 { last = track.update(body(p), at: Double(t) * 0.2).0 }
        XCTAssertEqual(try XCTUnwrap(last.movement?.leanDegrees), raw, accuracy: 0.01)
    }
}
