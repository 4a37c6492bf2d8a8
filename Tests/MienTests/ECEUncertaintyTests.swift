import XCTest
@testable import Mien
import MienCore

/// The sampling uncertainty `mien eval` prints beside each ECE: a bootstrap interval and the ECE a perfectly
/// calibrated model would show on as many faces.
final class ECEUncertaintyTests: XCTestCase {
    /// 1,000 answers at confidence 0.9, all right: the ECE is 0.1 whatever the resample, and a calibrated model with
    /// these confidences would be off by about 1.96 · sqrt(0.9 · 0.1 / 1000) ≈ 1.9 points at the 95th percentile.
    func testOverconfidenceIsTellingAndSamplingNoiseIsSized() {
        let u = ECEUncertainty(confidences: Array(repeating: 0.9, count: 1_000), correct: Array(repeating: true, count: 1_000))
        XCTAssertEqual(u.lower, 0.1, accuracy: 1e-9)
        XCTAssertEqual(u.upper, 0.1, accuracy: 1e-9)
        XCTAssertGreaterThan(u.calibratedFloor, 0.012)
        XCTAssertLessThan(u.calibratedFloor, 0.026)
        XCTAssertEqual(u, ECEUncertainty(confidences: Array(repeating: 0.9, count: 1_000),
                                         correct: Array(repeating: true, count: 1_000)), "seeded: the same every run")
    }

    /// Answers that are right exactly as often as their confidence says: the measured ECE is sampling noise, so it
    /// stays below the calibrated floor and inside its own bootstrap interval; the floor shrinks with more answers.
    func testCalibratedAnswersStayUnderTheFloor() {
        var rng = SplitMix64(seed: 7)
        func sample(_ n: Int) -> ([Double], [Bool]) {
            let c = (0..<n).map { _ in 0.3 + 0.7 * rng.uniform() }
            return (c, c.map { rng.uniform() < $0 })
        }
        let (c, ok) = sample(3_500)
        let ece = Calibration.expectedCalibrationError(confidences: c, correct: ok)
        let u = ECEUncertainty(confidences: c, correct: ok)
        XCTAssertLessThan(ece, u.calibratedFloor)
        XCTAssertLessThanOrEqual(u.lower, ece)
        XCTAssertGreaterThanOrEqual(u.upper, ece)
        let (c4, ok4) = sample(350)
        XCTAssertGreaterThan(ECEUncertainty(confidences: c4, correct: ok4).calibratedFloor, u.calibratedFloor * 2,
                             "10× fewer answers: about √10× more noise")
    }

    /// Accuracy and macro-recall intervals bracket the measured values and narrow with more faces: 80% right over
    /// 2,000 faces is ±1.8 points (binomial: 1.96 · sqrt(0.8 · 0.2 / 2000)).
    func testAccuracyAndMacroRecallIntervals() {
        let truth = (0..<2_000).map { $0 % 4 }
        let correct = (0..<2_000).map { $0 % 10 < 8 }
        let (a, m) = ClassificationReport.bootstrapIntervals(truth: truth, correct: correct, classes: 4)
        XCTAssertLessThan(a[0], 0.8)
        XCTAssertGreaterThan(a[1], 0.8)
        XCTAssertEqual(a[1] - a[0], 2 * 1.96 * (0.8 * 0.2 / 2_000).squareRoot(), accuracy: 0.008)
        XCTAssertLessThan(m[0], 0.8)
        XCTAssertGreaterThan(m[1], 0.8)
        let (small, _) = ClassificationReport.bootstrapIntervals(truth: Array(truth.prefix(200)),
                                                                  correct: Array(correct.prefix(200)), classes: 4)
        XCTAssertGreaterThan(small[1] - small[0], 2.5 * (a[1] - a[0]), "10× fewer faces: about √10× wider")
    }
}
