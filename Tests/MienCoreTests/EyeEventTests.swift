import Foundation
import MienCore
import XCTest

/// The blink and look-away detectors and the blendshape smoother on made-up sequences whose answer is known
/// (the sample-video tests, `VideoBlendshapeTests`, check them on real frames).
final class EyeEventTests: XCTestCase {
    private func lids(_ closure: Double) -> Blendshapes {
        Blendshapes(model: "m", coefficients: ["eyeBlinkLeft": closure, "eyeBlinkRight": closure, "jawOpen": 0.1])
    }

    /// Feeds closures sampled every `step` seconds; returns the events.
    private func blinks(_ closures: [Double], step: Double = 0.125) -> [MovementEvent] {
        var detector = BlinkDetector(track: 7)
        return closures.enumerated().compactMap { detector.update(lids($0.element), at: Double($0.offset) * step) }
    }

    func testABlinkIsOneEventWithItsTimes() throws {
        let events = blinks([0.1, 0.1, 0.7, 0.8, 0.2, 0.1])
        XCTAssertEqual(events.map(\.kind), [.blink])
        let e = try XCTUnwrap(events.first)
        XCTAssertEqual(e.track, 7)
        XCTAssertEqual(e.start, 0.25, accuracy: 1e-9, "first sample with the eyes closed")
        XCTAssertEqual(e.end, 0.5, accuracy: 1e-9, "first sample with them open again")
        XCTAssertEqual(e.peakClosure ?? 0, 0.8, accuracy: 1e-9)
    }

    func testHysteresisKeepsAHoveringValueOneBlink() {
        // hovering around the closing threshold without falling below the opening one: one closure, not four
        XCTAssertEqual(blinks([0.1, 0.52, 0.45, 0.55, 0.4, 0.51, 0.1]).map(\.kind), [.blink])
        // never reaching it: none
        XCTAssertTrue(blinks([0.1, 0.45, 0.3, 0.49, 0.2]).isEmpty)
    }

    func testAWinkIsNotABlinkAndLongClosureIsClosedEyes() {
        var detector = BlinkDetector(track: 1)
        var wink: [MovementEvent] = []
        for (i, left) in [0.1, 0.9, 0.9, 0.1].enumerated() {
            let shapes = Blendshapes(model: "m", coefficients: ["eyeBlinkLeft": left, "eyeBlinkRight": 0.05])
            if let e = detector.update(shapes, at: Double(i) * 0.1) { wink.append(e) }
        }
        XCTAssertTrue(wink.isEmpty, "one eye closing is a wink (mean closure 0.48 < 0.5)")
        let long = blinks([0.1] + Array(repeating: 0.9, count: 12) + [0.1])
        XCTAssertEqual(long.map(\.kind), [.eyesClosed], "1.5 s closed is not a blink")
    }

    func testEyesStillClosedWhenTheTrackEndsAreReported() throws {
        var detector = BlinkDetector(track: 2)
        for (i, c) in ([0.1, 0.1] + Array(repeating: 0.7, count: 12)).enumerated() {
            XCTAssertNil(detector.update(lids(c), at: Double(i) * 0.125))
        }
        let e = try XCTUnwrap(detector.close(), "closed from 0.25 s to the last frame at 1.625 s")
        XCTAssertEqual(e.kind, .eyesClosed)
        XCTAssertEqual(e.start, 0.25, accuracy: 1e-9)
        XCTAssertEqual(e.end, 1.625, accuracy: 1e-9)
        XCTAssertNil(detector.close(), "closed once")
        var short = BlinkDetector(track: 2)
        for (i, c) in [0.1, 0.7, 0.8].enumerated() { _ = short.update(lids(c), at: Double(i) * 0.125) }
        XCTAssertEqual(short.close()?.kind, .blink)
        var single = BlinkDetector(track: 2)
        for (i, c) in [0.1, 0.7].enumerated() { _ = single.update(lids(c), at: Double(i) * 0.125) }
        XCTAssertNil(single.close(), "one measured frame has no duration")
    }

    func testAGapDropsAClosureInProgress() {
        var detector = BlinkDetector(track: 1)
        XCTAssertNil(detector.update(lids(0.8), at: 0))
        XCTAssertNil(detector.update(lids(0.1), at: 2), "face lost for 2 s: no blink reported across the gap")
    }

    func testLookAwayNeedsItsDuration() throws {
        func run(_ yaws: [Double], step: Double = 0.2) -> [MovementEvent] {
            var detector = GazeAwayDetector(track: 3)
            var events = yaws.enumerated().compactMap {
                detector.update(Gaze(camera: .init(yaw: $0.element, pitch: 0)), at: Double($0.offset) * step)
            }
            if let e = detector.close() { events.append(e) }
            return events
        }
        let away = run([0, 2, 30, 32, 28, 25, 22, 30, 31, 5, 0])
        XCTAssertEqual(away.map(\.kind), [.gazeAway])
        let e = try XCTUnwrap(away.first)
        XCTAssertEqual(e.start, 0.4, accuracy: 1e-9)
        XCTAssertEqual(e.end, 1.8, accuracy: 1e-9)
        XCTAssertEqual(e.peakOffCamera ?? 0, 32, accuracy: 1e-9)
        XCTAssertTrue(run([0, 30, 30, 0, 0]).isEmpty, "0.4 s away is a glance, under the 1 s minimum")
        XCTAssertEqual(run([0, 30, 30, 30, 30, 30, 30, 30]).map(\.kind), [.gazeAway], "still away at the end")
        var closedEyes = GazeAwayDetector(track: 3)
        XCTAssertNil(closedEyes.update(Gaze(abstained: "both eyes closed"), at: 0))
    }

    func testSmootherFollowsWithItsTimeConstant() {
        var s = BlendshapeSmoother(tau: 0.4)
        XCTAssertEqual(s.update(lids(0), at: 0)["jawOpen"] ?? -1, 0.1, accuracy: 1e-9, "first value as is")
        let jaw = Blendshapes(model: "m", coefficients: ["jawOpen": 1])
        let after = s.update(jaw, at: 0.4)["jawOpen"] ?? -1
        XCTAssertEqual(after, 0.1 + (1 - exp(-1.0)) * 0.9, accuracy: 1e-9, "one time constant: 63% of the step")
        let abstained = Blendshapes(model: "m", coefficients: [:], abstained: "face too small")
        XCTAssertEqual(s.update(abstained, at: 0.5), abstained, "an abstention passes through")
    }
}
