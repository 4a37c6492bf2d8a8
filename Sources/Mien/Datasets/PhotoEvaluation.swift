import Foundation
import MienCore

/// Evaluates the whole pipeline on a folder of labelled photos (`mien eval --images DIR --labels CSV`).
/// The largest face of each photo is compared with its label; photos where no face is found are counted as
/// missed, not as wrong, so detector and classifier errors stay apart.
public enum PhotoEvaluation {
    public struct Report: Sendable, Codable {
        public var photos: Int
        public var missedFaces: Int
        /// Photos whose label the label set has no class for (contempt under `intended`): left out of this report.
        public var outsideLabelSet: Int
        public var unreadable: [String]
        public var classification: ClassificationReport

        public func table() -> String {
            "\(photos) photos, no face found in \(missedFaces), unreadable \(unreadable.count)"
                + (outsideLabelSet > 0 ? ", label outside the label set \(outsideLabelSet)" : "") + "\n" + classification.table()
        }
    }

    /// FER2013 names map onto FER+ names so either label set works.
    static let synonyms = ["happy": "happiness", "sad": "sadness", "angry": "anger", "surprised": "surprise",
                           "disgusted": "disgust", "fearful": "fear"]
    /// FER+ names onto the intended label set's (FER2013's) names.
    static let intendedNames = ["happiness": "happy", "sadness": "sad", "anger": "angry"]

    /// Runs the whole pipeline over the labelled photos once per label set and prior (one engine shared): one report
    /// each, perceived natural, perceived balanced, intended natural, intended balanced — the intended label set
    /// (FER2013's head) is the closer match when the folder's labels are posed (Models/MODEL_CARD.md, "Cross-dataset").
    public static func run(images: URL, labels: URL, crops: Bool, flip: Bool?,
                           priors: [ExpressionPrior] = ExpressionPrior.allCases,
                           labelSets: [ExpressionLabelSet] = ExpressionLabelSet.allCases) throws -> [Report] {
        let governance = Governance(purpose: .researchWithConsent, actor: "mien eval",
                                    home: FileManager.default.temporaryDirectory.appendingPathComponent("mien-eval"))
        let session = try Session(governance: governance)
        let engine = try Engine()
        return try labelSets.flatMap { labelSet in
            try priors.map { prior in
                var options = AnalysisOptions()
                options.crops = crops
                options.flipAverage = flip
                options.prior = prior
                options.labelSet = labelSet
                return try run(images: images, labels: labels,
                               analyzer: try Analyzer(engine: engine, session: session, options: options),
                               classes: engine.expressionClasses(for: labelSet) ?? Circumplex.ferPlusOrder)
            }
        }
    }

    static func run(images: URL, labels: URL, analyzer: Analyzer, classes: [String]) throws -> Report {
        guard let text = try? String(contentsOf: labels, encoding: .utf8) else {
            throw AnalysisError.fileNotFound(path: labels.path)
        }
        let labelSet = analyzer.options.labelSet
        var truth: [Int] = [], probs: [[Double]] = [], missed = 0, unreadable: [String] = [], photos = 0, outside = 0
        var threshold = 0.5
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2 else { continue }
            let perceived = synonyms[f[1].lowercased()] ?? f[1].lowercased()
            guard Circumplex.ferPlusOrder.contains(perceived) else { continue }
            photos += 1
            let name = labelSet == .intended ? intendedNames[perceived] ?? perceived : perceived
            guard let label = classes.firstIndex(of: name) else {
                outside += 1
                continue
            }
            do {
                let result = try analyzer.analyze(imageAt: images.appendingPathComponent(f[0]))
                guard let face = result.faces.max(by: { $0.box.area < $1.box.area }), let e = face.expression else {
                    missed += 1
                    continue
                }
                threshold = e.threshold
                truth.append(label)
                probs.append(classes.map { e.probability(of: $0) ?? 0 })
            } catch {
                unreadable.append("\(f[0]): \(error)")
            }
        }
        return Report(photos: photos, missedFaces: missed, outsideLabelSet: outside, unreadable: unreadable,
                      classification: ClassificationReport(head: labelSet.headName,
                                                           labels: "folder labels, \(labelSet) label set", classes: classes,
                                                           truth: truth, probabilities: probs, uncalibrated: probs,
                                                           threshold: threshold, prior: analyzer.options.prior.rawValue))
    }
}
