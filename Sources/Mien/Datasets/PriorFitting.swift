import Foundation
import MienCore
import MienVision

/// Fits the balanced-prior calibration of each expression head (`ExpressionPrior.balanced`), the way export.py fits
/// the natural one: the training prior from the Training split's labels; on PublicTest a temperature (NLL optimum,
/// then the ECE minimum within ×2 of it) and the lowest abstention threshold whose answered faces are ≥ 90%
/// accurate — with every PublicTest face weighted by 1 / (its class's share), so both are fitted for a population
/// in which every class is equally common, which is what the balanced prior claims. PrivateTest is not touched.
public enum PriorFitting {
    public struct Fit: Sendable, Codable {
        public var head: String
        public var prior: [Double]
        public var flipAveraged: ExpressionModelSpec.Head.Calibration
        public var singleView: ExpressionModelSpec.Head.Calibration
        public var publicTestWeightedECE: Double
    }

    /// Same target as training/export.py's SELECTIVE_TARGET.
    static let selectiveTarget = 0.90

    public static func fit(data: FER2013, modelsDirectory: URL) throws -> [Fit] {
        var fits: [Fit] = []
        for head in ["ferplus", "fer2013"] {
            let classifier = try OnnxExpressionClassifier(modelsDirectory: modelsDirectory, head: head)
            let k = classifier.head.classes.count
            func label(_ row: FER2013.Row) -> Int? { head == "ferplus" ? row.ferPlusMajority : row.ferLabel }
            var counts = [Double](repeating: 0, count: k)
            for row in data.rows where row.split == .training { if let l = label(row) { counts[l] += 1 } }
            let prior = counts.map { $0 / max(counts.reduce(0, +), 1) }
            let logPrior = prior.map { log(max($0, 1e-6)) }
            let rows = data.rows.indices.filter { data.rows[$0].split == .publicTest && label(data.rows[$0]) != nil }
            let truth = rows.compactMap { label(data.rows[$0]) }
            let weights = classBalancedWeights(truth, classes: k)
            let faces = ExpressionEvaluation.faces(data, rows: rows)
            var views: [ExpressionModelSpec.Head.Calibration] = []
            var ece = 0.0
            for flip in [true, false] {
                let logits = try ExpressionEvaluation.logits(classifier, faces: faces, flip: flip)
                let t = temperature(logits, truth: truth, weights: weights, logPrior: logPrior)
                let probabilities = logits.map { Calibration.softmax($0, temperature: t, subtractingLogPrior: logPrior) }
                let threshold = selectiveThreshold(probabilities, truth: truth, weights: weights)
                views.append(.init(temperature: (t * 10_000).rounded() / 10_000,
                                   abstainThreshold: (threshold * 10_000).rounded() / 10_000))
                if flip { ece = weightedECE(probabilities, truth: truth, weights: weights) }
            }
            fits.append(Fit(head: head, prior: prior, flipAveraged: views[0], singleView: views[1],
                            publicTestWeightedECE: ece))
        }
        return fits
    }

    /// Weight 1 / (K · share of the face's class), so every class carries the same total weight.
    public static func classBalancedWeights(_ truth: [Int], classes k: Int) -> [Double] {
        var n = [Double](repeating: 0, count: k)
        for t in truth { n[t] += 1 }
        let present = Double(n.filter { $0 > 0 }.count)
        return truth.map { Double(truth.count) / (present * n[$0]) }
    }

    public static func weightedECE(_ probabilities: [[Double]], truth: [Int], weights: [Double]) -> Double {
        var conf: [Double] = [], correct: [Bool] = []
        for (p, t) in zip(probabilities, truth) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            conf.append(p[top])
            correct.append(top == t)
        }
        return Calibration.expectedCalibrationError(confidences: conf, correct: correct, weights: weights)
    }

    /// The weighted-NLL optimum over a log grid, then the weighted-ECE minimum within ×2 of it.
    static func temperature(_ logits: [[Float]], truth: [Int], weights: [Double], logPrior: [Double]) -> Double {
        func nll(_ t: Double) -> Double {
            var s = 0.0
            for ((z, y), w) in zip(zip(logits, truth), weights) {
                let p = Calibration.softmax(z, temperature: t, subtractingLogPrior: logPrior)
                s -= w * log(max(p[y], 1e-12))
            }
            return s
        }
        let grid = (0...200).map { exp(log(0.1) + (log(10.0) - log(0.1)) * Double($0) / 200) }
        let tNLL = grid.min { nll($0) < nll($1) } ?? 1
        let near = (0...140).map { tNLL * exp(log(0.5) + (log(2.0) - log(0.5)) * Double($0) / 140) }
        func ece(_ t: Double) -> Double {
            weightedECE(logits.map { Calibration.softmax($0, temperature: t, subtractingLogPrior: logPrior) },
                        truth: truth, weights: weights)
        }
        return near.min { ece($0) < ece($1) } ?? tNLL
    }

    /// Lowest confidence whose answered faces reach the target weighted accuracy (walking the risk-coverage curve
    /// from the most confident answer down, as training/metrics.py does).
    static func selectiveThreshold(_ probabilities: [[Double]], truth: [Int], weights: [Double]) -> Double {
        let scored = zip(zip(probabilities, truth), weights).map { pt, w -> (conf: Double, right: Bool, w: Double) in
            let (p, t) = pt
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            return (p[top], top == t, w)
        }.sorted { $0.conf > $1.conf }
        var right = 0.0, total = 0.0, threshold = 1.0
        for s in scored {
            total += s.w
            right += s.right ? s.w : 0
            if right / total >= selectiveTarget { threshold = s.conf }
        }
        return threshold
    }

    /// Writes the fits into the model's JSON (`heads.<head>.priors.balanced`), keeping everything else.
    public static func write(_ fits: [Fit], into specURL: URL) throws {
        guard var json = try JSONSerialization.jsonObject(with: Data(contentsOf: specURL)) as? [String: Any],
              var heads = json["heads"] as? [String: Any] else {
            throw AnalysisError.modelInvalid(path: specURL.path, reason: "no heads object")
        }
        for fit in fits {
            guard var head = heads[fit.head] as? [String: Any] else { continue }
            var priors = head["priors"] as? [String: Any] ?? [:]
            priors[ExpressionPrior.balanced.rawValue] = [
                "log_prior": fit.prior.map { (log(max($0, 1e-6)) * 1e6).rounded() / 1e6 },
                "temperature": fit.flipAveraged.temperature,
                "abstain_threshold": fit.flipAveraged.abstainThreshold,
                "single_view": ["temperature": fit.singleView.temperature,
                                "abstain_threshold": fit.singleView.abstainThreshold],
            ] as [String: Any]
            head["priors"] = priors
            heads[fit.head] = head
        }
        json["heads"] = heads
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: specURL, options: .atomic)
    }
}
