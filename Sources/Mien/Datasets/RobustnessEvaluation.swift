import Foundation
import MienCore
import MienVision

/// The robustness benchmark (`mien eval --robustness`): FER+ PrivateTest under controlled shifts (`ImageShift`),
/// accuracy and macro recall per shift for both heads, with the `fer` package beside them when its results for the
/// same shifted pixels are given (`training/peers/eval_fer_shifts.py`).
public enum RobustnessEvaluation {
    public struct Metrics: Sendable, Codable, Hashable {
        public var count: Int
        public var accuracy: Double
        public var macroRecall: Double

        public init(count: Int, accuracy: Double, macroRecall: Double) {
            self.count = count
            self.accuracy = accuracy
            self.macroRecall = macroRecall
        }

        init(_ r: ClassificationReport) { self.init(count: r.count, accuracy: r.accuracy, macroRecall: r.macroRecall) }

        private enum CodingKeys: String, CodingKey {
            case count = "n", accuracy
            case macroRecall = "macro_recall"
        }
    }

    public struct Row: Sendable, Codable {
        public var shift: String
        /// Mien's FER+ head on FER+ majority labels (8 classes).
        public var ferplus: Metrics
        /// Mien's FER2013 head on the original labels (7 classes): the like-for-like comparison with `fer`.
        public var fer2013: Metrics
        /// `fer` (PyPI) on the same pixels, FER2013 labels, when its results were given.
        public var peer: Metrics?
    }

    public struct Report: Sendable, Codable {
        public var split: String
        public var prior: String
        public var flipAveraged: Bool
        public var rows: [Row]

        /// The plain-text table `mien eval --robustness` prints.
        public func table() -> String {
            func pct(_ v: Double?) -> String { v.map { String(format: "%5.1f", $0 * 100) } ?? "    –" }
            var out = "robustness on FER2013 \(split), \(prior) prior\(flipAveraged ? ", flip-averaged" : "") — "
                + "accuracy / macro recall, %\n"
            out += "shift                          Mien FER+ (8)   Mien FER2013 (7)   fer (7)        Mien−fer acc\n"
            for r in rows {
                let lead = r.peer.map { String(format: "%+5.1f", (r.fer2013.accuracy - $0.accuracy) * 100) } ?? "    –"
                out += r.shift.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + " \(pct(r.ferplus.accuracy)) / \(pct(r.ferplus.macroRecall))   "
                    + "\(pct(r.fer2013.accuracy)) / \(pct(r.fer2013.macroRecall))      "
                    + "\(pct(r.peer?.accuracy)) / \(pct(r.peer?.macroRecall))   \(lead)\n"
            }
            if let clean = rows.first(where: { $0.shift == ImageShift.clean.description }) {
                let worst = rows.min { $0.ferplus.macroRecall < $1.ferplus.macroRecall }
                if let worst {
                    out += String(format: "worst shift for FER+ macro recall: %@ (%.1f%%, %.1f points below clean)\n",
                                  worst.shift, worst.ferplus.macroRecall * 100,
                                  (clean.ferplus.macroRecall - worst.ferplus.macroRecall) * 100)
                }
            }
            return out
        }
    }

    /// Runs every shift over the split's faces. `peer` holds `fer`'s metrics by shift name; `writeShifts`, when
    /// given, receives each shift's pixels (`<shift>.u8`, N×48×48 bytes in row order) and `index.json`, for the
    /// peer script to read the very same pixels.
    public static func run(data: FER2013, split: FER2013.Split, modelsDirectory: URL, flip: Bool?,
                           prior: ExpressionPrior, shifts: [ImageShift] = ImageShift.benchmark, limit: Int? = nil,
                           peer: [String: Metrics]? = nil, writeShifts: URL? = nil,
                           progress: (String) -> Void = { _ in }) throws -> Report {
        var rows = data.rows.indices.filter { data.rows[$0].split == split }
        if let limit { rows = Array(rows.prefix(limit)) }
        let side = FER2013.side
        let heads = try ["ferplus", "fer2013"].map {
            try OnnxExpressionClassifier(modelsDirectory: modelsDirectory, head: $0, flipAverage: flip)
        }
        if let writeShifts {
            try FileManager.default.createDirectory(at: writeShifts, withIntermediateDirectories: true)
            let index: [String: Any] = [
                "split": split.rawValue, "side": side, "rows": rows.map { data.rows[$0].index },
                "fer2013_labels": rows.map { data.rows[$0].ferLabel },
                "ferplus_labels": rows.map { data.rows[$0].ferPlusMajority ?? -1 },
                "shifts": shifts.map(\.description),
            ]
            try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
                .write(to: writeShifts.appendingPathComponent("index.json"))
        }
        var out: [Row] = []
        for shift in shifts {
            progress(shift.description)
            var pixels: [[UInt8]] = []
            pixels.reserveCapacity(rows.count)
            for row in rows {
                let original = Array(data.image(at: row))
                var shifted = shift.apply(original, side: side, seed: UInt64(data.rows[row].index))
                if case .jpeg(let quality) = shift { shifted = try jpegRoundTrip(shifted, side: side, quality: quality) }
                pixels.append(shifted)
            }
            if let writeShifts {
                try Data(pixels.joined()).write(to: writeShifts.appendingPathComponent("\(shift.description).u8"))
            }
            let faces = pixels.map {
                AlignedFace(width: side, height: side, channels: 1, pixels: $0,
                            transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0), method: "dataset crop")
            }
            var metrics: [Metrics] = []
            for classifier in heads {
                let ferplus = classifier.headName == "ferplus"
                let kept = rows.indices.filter { !ferplus || data.rows[rows[$0]].ferPlusMajority != nil }
                let truth = kept.compactMap { ferplus ? data.rows[rows[$0]].ferPlusMajority : data.rows[rows[$0]].ferLabel }
                let logits = try ExpressionEvaluation.logits(classifier, faces: kept.map { faces[$0] })
                let (c, logPrior) = try classifier.head.calibration(prior: prior, flipAveraged: classifier.flipAverage,
                                                                    model: classifier.modelVersion)
                let probabilities = logits.map {
                    Calibration.softmax($0, temperature: c.temperature, subtractingLogPrior: logPrior)
                }
                metrics.append(Metrics(ClassificationReport(
                    head: classifier.headName, labels: "", classes: classifier.head.classes, truth: truth,
                    probabilities: probabilities, uncalibrated: probabilities, threshold: c.abstainThreshold,
                    eceUncertainty: false)))
            }
            out.append(Row(shift: shift.description, ferplus: metrics[0], fer2013: metrics[1],
                           peer: peer?[shift.description]))
        }
        return Report(split: split.rawValue, prior: prior.rawValue, flipAveraged: heads[0].flipAverage, rows: out)
    }

    /// Encodes a grey face as JPEG at `quality` and decodes it again.
    static func jpegRoundTrip(_ pixels: [UInt8], side: Int, quality: Int) throws -> [UInt8] {
        let image = try Image(pixels: pixels, width: side, height: side, channels: 1)
        let decoded = try ImageDecoder().decode(try image.jpeg(quality: quality), source: "jpeg-q\(quality)")
        return try decoded.grayPixels()
    }

    /// `fer`'s metrics by shift from the peer script's JSON (`{"shifts": {name: {"n", "accuracy", "macro_recall"}}}`).
    public static func peerMetrics(from url: URL) throws -> [String: Metrics] {
        struct File: Decodable { var shifts: [String: Metrics] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).shifts
    }
}
