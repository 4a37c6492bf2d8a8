import Foundation
import MienCore
import MienVision

/// Classification metrics for one head on one labelled set: what `mien eval` prints and the model card quotes.
public struct ClassificationReport: Sendable, Codable {
    public var head: String
    public var labels: String
    public var classes: [String]
    public var count: Int
    public var accuracy: Double
    public var macroRecall: Double
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    /// confusion[truth][predicted]
    public var confusion: [[Int]]
    public var ece: Double
    /// ECE with every class weighted equally (what a balanced-prior estimate is calibrated for).
    public var eceClassBalanced: Double
    public var eceUncalibrated: Double
    /// The class prior the probabilities were computed under.
    public var prior: String
    public var threshold: Double
    public var coverage: Double
    public var selectiveAccuracy: Double

    public init(head: String, labels: String, classes: [String], truth: [Int], probabilities: [[Double]],
                uncalibrated: [[Double]], threshold: Double, prior: String = ExpressionPrior.natural.rawValue) {
        self.head = head
        self.prior = prior
        self.labels = labels
        self.classes = classes
        let k = classes.count
        count = truth.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var confidences: [Double] = [], correct: [Bool] = [], rawConf: [Double] = [], rawCorrect: [Bool] = []
        var answered = 0, answeredRight = 0
        for (t, p) in zip(truth, probabilities) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            confusion[t][top] += 1
            confidences.append(p[top])
            correct.append(top == t)
            if p[top] >= threshold {
                answered += 1
                if top == t { answeredRight += 1 }
            }
        }
        for (t, p) in zip(truth, uncalibrated) {
            let top = p.indices.max { p[$0] < p[$1] } ?? 0
            rawConf.append(p[top])
            rawCorrect.append(top == t)
        }
        self.confusion = confusion
        let diagonal = (0..<k).map { confusion[$0][$0] }
        accuracy = count > 0 ? Double(diagonal.reduce(0, +)) / Double(count) : 0
        let recall: [Double] = (0..<k).map { i in
            let n = confusion[i].reduce(0, +)
            return n > 0 ? Double(diagonal[i]) / Double(n) : 0
        }
        let precision: [Double] = (0..<k).map { j in
            let n = (0..<k).reduce(0) { $0 + confusion[$1][j] }
            return n > 0 ? Double(diagonal[j]) / Double(n) : 0
        }
        self.recall = recall
        self.precision = precision
        f1 = zip(precision, recall).map { p, r in p + r > 0 ? 2 * p * r / (p + r) : 0 }
        let present = (0..<k).filter { confusion[$0].reduce(0, +) > 0 }
        macroRecall = present.isEmpty ? 0 : present.map { recall[$0] }.reduce(0, +) / Double(present.count)
        ece = Calibration.expectedCalibrationError(confidences: confidences, correct: correct)
        eceClassBalanced = Calibration.expectedCalibrationError(
            confidences: confidences, correct: correct, weights: PriorFitting.classBalancedWeights(truth, classes: k))
        eceUncalibrated = Calibration.expectedCalibrationError(confidences: rawConf, correct: rawCorrect)
        self.threshold = threshold
        coverage = count > 0 ? Double(answered) / Double(count) : 0
        selectiveAccuracy = answered > 0 ? Double(answeredRight) / Double(answered) : 0
    }

    /// A plain-text table: headline numbers, per-class precision/recall/F1, and the confusion matrix.
    public func table() -> String {
        var out = String(format: "%@ head on %@: %d faces, %@ prior\n  accuracy %.2f%%   macro recall %.2f%%   "
                         + "ECE %.2f%% (class-balanced %.2f%%; uncalibrated %.2f%%)   threshold %.3f: coverage %.1f%%, "
                         + "selective accuracy %.2f%%\n",
                         head, labels, count, prior, accuracy * 100, macroRecall * 100, ece * 100,
                         eceClassBalanced * 100, eceUncalibrated * 100, threshold, coverage * 100,
                         selectiveAccuracy * 100)
        out += "  class        precision  recall     F1   support\n"
        for (i, c) in classes.enumerated() {
            out += String(format: "  %-11@ %9.3f %7.3f %6.3f %8d\n", c, precision[i], recall[i], f1[i],
                          confusion[i].reduce(0, +))
        }
        out += "  confusion (rows = truth, columns = predicted, order as above):\n"
        for (i, row) in confusion.enumerated() {
            out += "  " + classes[i].padding(toLength: 10, withPad: " ", startingAt: 0)
                + row.map { String(format: "%6d", $0) }.joined() + "\n"
        }
        return out
    }
}

/// Evaluates the expression model on FER2013's 48-pixel faces exactly as trained: each face is already in
/// FER framing, so it goes to the classifier as the aligned crop.
public enum ExpressionEvaluation {
    public static func faces(_ data: FER2013, rows: [Int]) -> [AlignedFace] {
        rows.map {
            AlignedFace(width: 48, height: 48, channels: 1, pixels: Array(data.image(at: $0)),
                        transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0), method: "dataset crop")
        }
    }

    /// Raw logits of one head for many faces, in batches.
    public static func logits(_ classifier: OnnxExpressionClassifier, faces: [AlignedFace], flip: Bool? = nil,
                              batch: Int = 256) throws -> [[Float]] {
        var out: [[Float]] = []
        var start = 0
        while start < faces.count {
            out += try classifier.logits(for: Array(faces[start..<min(start + batch, faces.count)]), flip: flip)
            start += batch
        }
        return out
    }

    /// FER+ head on FER+ majority labels (rows with an emotion majority) and FER2013 head on the original labels.
    public static func evaluate(data: FER2013, split: FER2013.Split, modelsDirectory: URL,
                                flip: Bool? = nil, prior: ExpressionPrior = .natural) throws -> [ClassificationReport] {
        let rows = data.rows.indices.filter { data.rows[$0].split == split }
        var reports: [ClassificationReport] = []
        for headName in ["ferplus", "fer2013"] {
            let classifier = try OnnxExpressionClassifier(modelsDirectory: modelsDirectory, head: headName,
                                                          flipAverage: flip)
            let kept = headName == "ferplus" ? rows.filter { data.rows[$0].ferPlusMajority != nil } : rows
            let truth = kept.map { headName == "ferplus" ? data.rows[$0].ferPlusMajority! : data.rows[$0].ferLabel }
            let l = try logits(classifier, faces: faces(data, rows: kept))
            let (c, logPrior) = try classifier.head.calibration(prior: prior, flipAveraged: classifier.flipAverage,
                                                                model: classifier.modelVersion)
            reports.append(ClassificationReport(
                head: headName, labels: headName == "ferplus" ? "FER+ majority labels" : "FER2013 original labels",
                classes: classifier.head.classes, truth: truth,
                probabilities: l.map { Calibration.softmax($0, temperature: c.temperature, subtractingLogPrior: logPrior) },
                uncalibrated: l.map { Calibration.softmax($0) }, threshold: c.abstainThreshold, prior: prior.rawValue))
        }
        return reports
    }
}
