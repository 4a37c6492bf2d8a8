import Foundation
import MienCore
import XCTest

/// The temporal pieces on synthetic input: tracker ids, smoothing, baseline, nods.
final class VideoCoreTests: XCTestCase {
    private func face(at x: Double, _ y: Double, iod: Double = 40) -> FaceLandmarks {
        // A rough frontal face: every point offset from (x, y), scaled so the eye centres are `iod` apart.
        let s = iod / 40
        let pts = (0..<68).map { i -> Point2 in
            switch i {
            case 36...41: return Point2(x - 20 * s + Double(i - 38) * s, y)
            case 42...47: return Point2(x + 20 * s + Double(i - 44) * s, y)
            case 48...67: return Point2(x + Double(i - 57) * 2 * s, y + 35 * s)
            default: return Point2(x + Double(i % 17 - 8) * 5 * s, y + Double(i / 17) * 10 * s)
            }
        }
        return FaceLandmarks(points: pts)!
    }

    func testTrackerKeepsIdsThroughMovementShortMissesAndCrossingBoxes() {
        var tracker = Tracker()
        let a = face(at: 100, 100), b = face(at: 300, 100)
        var (ids, _) = tracker.update([.init(rect: a.followingBox, landmarks: a), .init(rect: b.followingBox, landmarks: b)], at: 0)
        XCTAssertEqual(ids, [1, 2])
        // Both move a little; order of observations swapped.
        let a2 = face(at: 108, 102), b2 = face(at: 292, 99)
        (ids, _) = tracker.update([.init(rect: b2.followingBox, landmarks: b2), .init(rect: a2.followingBox, landmarks: a2)], at: 0.04)
        XCTAssertEqual(ids, [2, 1])
        // A misses for 0.5 s (occlusion) and comes back: same id.
        (ids, _) = tracker.update([.init(rect: b2.followingBox, landmarks: b2)], at: 0.5)
        XCTAssertEqual(ids, [2])
        (ids, _) = tracker.update([.init(rect: a2.followingBox, landmarks: a2), .init(rect: b2.followingBox, landmarks: b2)], at: 0.6)
        XCTAssertEqual(ids, [1, 2])
        // Gone for longer than maxMissSeconds: the track ends, and a face there later is a new person.
        var ended: [Int]
        (ids, ended) = tracker.update([.init(rect: b2.followingBox, landmarks: b2)], at: 2.0)
        XCTAssertEqual(ended, [1])
        (ids, _) = tracker.update([.init(rect: a2.followingBox, landmarks: a2), .init(rect: b2.followingBox, landmarks: b2)], at: 2.1)
        XCTAssertEqual(ids, [3, 2])
    }

    func testSmootherTimeConstantIsInSeconds() {
        let classes = ["neutral", "happiness"]
        var s = ExpressionSmoother(tau: 0.4)
        _ = s.update(ExpressionEstimate(classes: classes, probabilities: [1, 0], threshold: 0.5, model: "m"), at: 0)
        // A step from neutral to happiness: after one time constant the smoothed value has covered 1 − 1/e of it,
        // whatever the frame rate.
        for fps in [10.0, 50.0] {
            var t = ExpressionSmoother(tau: 0.4)
            _ = t.update(ExpressionEstimate(classes: classes, probabilities: [1, 0], threshold: 0.5, model: "m"), at: 0)
            var last: ExpressionEstimate?
            for i in 1...Int(0.4 * fps) {
                last = t.update(ExpressionEstimate(classes: classes, probabilities: [0, 1], threshold: 0.5, model: "m"),
                                at: Double(i) / fps)
            }
            XCTAssertEqual(last?.probabilities[1] ?? 0, 1 - exp(-1), accuracy: 0.01, "at \(fps) fps")
        }
        // A single odd frame does not flip the label.
        let blip = s.update(ExpressionEstimate(classes: classes, probabilities: [0, 1], threshold: 0.5, model: "m"), at: 0.04)
        XCTAssertEqual(blip.label, "neutral")
    }

    func testBaselineMakesTheRestingFaceZero() throws {
        var baseline = NeutralBaseline()
        let rest = MovementMeasures(values: [0.3, 0.2, 0, 0.1, 0.1, 0.37, 0, 0.9, 0.02, 1.1])!
        var raised = rest.named.map(\.1)
        raised[0] += 0.15  // inner brow raised
        var last: MovementMeasures?
        for i in 0..<100 { last = baseline.relative(rest, at: Double(i) * 0.2, neutralLabel: true) }
        XCTAssertEqual(last?.innerBrowRaise ?? 1, 0, accuracy: 1e-9)
        let moved = baseline.relative(MovementMeasures(values: raised)!, at: 20.1, neutralLabel: false)
        XCTAssertEqual(moved.innerBrowRaise, 0.15, accuracy: 1e-9)
        XCTAssertEqual(baseline.source, "neutral frames")
    }

    func testNodIsFoundAndStillHeadIsNot() {
        var head = HeadMotionAnalyzer(track: 1)
        var events: [MovementEvent] = []
        // 1 s still, then two nods (pitch ±8°, 2 Hz) for 1 s, then still again; 25 frames/s.
        for i in 0..<100 {
            let t = Double(i) / 25
            let pitch = (t >= 1 && t < 2) ? -8 * sin(2 * Double.pi * 2 * (t - 1)) : 0
            events += head.update(HeadPose(yaw: 0, pitch: pitch, roll: 0), at: t).events
        }
        events += head.finish()
        XCTAssertEqual(events.map(\.kind), [.nod])
        XCTAssertGreaterThanOrEqual(events.first?.swings ?? 0, 3)
        var still = HeadMotionAnalyzer(track: 2)
        var none: [MovementEvent] = []
        for i in 0..<100 {
            none += still.update(HeadPose(yaw: sin(Double(i)) * 1.5, pitch: cos(Double(i)) * 1.5, roll: 0), at: Double(i) / 25).events
        }
        XCTAssertTrue((none + still.finish()).isEmpty, "pose jitter of ±1.5° is not a nod")
    }
}
