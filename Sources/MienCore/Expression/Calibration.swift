#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temperature scaling (Guo et al. 2017) and the metrics that check it.
public enum Calibration {
    /// softmax(logits / T), computed stably.
    public static func softmax(_ logits: [Float], temperature: Double = 1) -> [Double] {
        guard let m = logits.max() else { return [] }
        let t = temperature > 0 ? temperature : 1
        let e = logits.map { exp(Double($0 - m) / t) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// softmax(logits / T − log prior): the estimate under another class prior (logit adjustment). `logPrior` is
    /// the log of the prior the logits were trained under; subtracting it leaves a uniform prior.
    public static func softmax(_ logits: [Float], temperature: Double, subtractingLogPrior logPrior: [Double]?) -> [Double] {
        guard let logPrior, logPrior.count == logits.count else { return softmax(logits, temperature: temperature) }
        let t = temperature > 0 ? temperature : 1
        let z = zip(logits, logPrior).map { Double($0) / t - $1 }
        guard let m = z.max() else { return [] }
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// ECE with a weight per sample (class-balanced weights give the ECE a balanced-prior estimate is fitted for).
    public static func expectedCalibrationError(confidences: [Double], correct: [Bool], weights: [Double],
                                                bins: Int = 15) -> Double {
        guard !confidences.isEmpty, confidences.count == correct.count, weights.count == correct.count else { return 0 }
        var weight = [Double](repeating: 0, count: bins)
        var conf = [Double](repeating: 0, count: bins)
        var acc = [Double](repeating: 0, count: bins)
        for ((c, ok), w) in zip(zip(confidences, correct), weights) {
            let b = min(bins - 1, max(0, Int(c * Double(bins))))
            weight[b] += w
            conf[b] += w * c
            acc[b] += ok ? w : 0
        }
        let total = weight.reduce(0, +)
        guard total > 0 else { return 0 }
        var ece = 0.0
        for b in 0..<bins where weight[b] > 0 { ece += abs(acc[b] - conf[b]) / total }
        return ece
    }

    /// Expected calibration error with equal-width confidence bins (15 by default, as Guo et al.).
    public static func expectedCalibrationError(confidences: [Double], correct: [Bool], bins: Int = 15) -> Double {
        guard !confidences.isEmpty, confidences.count == correct.count else { return 0 }
        var count = [Int](repeating: 0, count: bins)
        var conf = [Double](repeating: 0, count: bins)
        var acc = [Double](repeating: 0, count: bins)
        for (c, ok) in zip(confidences, correct) {
            let b = min(bins - 1, max(0, Int(c * Double(bins))))
            count[b] += 1
            conf[b] += c
            acc[b] += ok ? 1 : 0
        }
        var ece = 0.0
        for b in 0..<bins where count[b] > 0 {
            ece += Double(count[b]) / Double(confidences.count) * abs(acc[b] - conf[b]) / Double(count[b])
        }
        return ece
    }
}
