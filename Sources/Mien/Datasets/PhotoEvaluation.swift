import Foundation
import MienCore

/// Evaluates the whole pipeline on a folder of labelled photos (`mien eval --images DIR --labels CSV`).
/// The largest face of each photo is compared with its label; photos where no face is found are counted as
/// missed, not as wrong, so detector and classifier errors stay apart.
public enum PhotoEvaluation {
    public struct Report: Sendable, Codable {
        public var photos: Int
        public var missedFaces: Int
        public var unreadable: [String]
        public var classification: ClassificationReport

        public func table() -> String {
            "\(photos) photos, no face found in \(missedFaces), unreadable \(unreadable.count)\n" + classification.table()
        }
    }

    /// FER2013 names map onto FER+ names so either label set works.
    static let synonyms = ["happy": "happiness", "sad": "sadness", "angry": "anger", "surprised": "surprise",
                           "disgusted": "disgust", "fearful": "fear"]

    /// Runs the whole pipeline over the labelled photos once per prior (one engine shared); one report per prior.
    public static func run(images: URL, labels: URL, crops: Bool, flip: Bool?,
                           priors: [ExpressionPrior] = ExpressionPrior.allCases) throws -> [Report] {
        let governance = Governance(purpose: .researchWithConsent, actor: "mien eval",
                                    home: FileManager.default.temporaryDirectory.appendingPathComponent("mien-eval"))
        let session = try Session(governance: governance)
        let engine = try Engine()
        return try priors.map { prior in
            var options = AnalysisOptions()
            options.crops = crops
            options.flipAverage = flip
            options.prior = prior
            return try run(images: images, labels: labels,
                           analyzer: try Analyzer(engine: engine, session: session, options: options))
        }
    }

    static func run(images: URL, labels: URL, analyzer: Analyzer) throws -> Report {
        guard let text = try? String(contentsOf: labels, encoding: .utf8) else {
            throw AnalysisError.fileNotFound(path: labels.path)
        }
        let classes = Circumplex.ferPlusOrder
        var truth: [Int] = [], probs: [[Double]] = [], missed = 0, unreadable: [String] = [], photos = 0
        var threshold = 0.5
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2 else { continue }
            let name = synonyms[f[1].lowercased()] ?? f[1].lowercased()
            guard let label = classes.firstIndex(of: name) else { continue }
            photos += 1
            do {
                let result = try analyzer.analyze(imageAt: images.appendingPathComponent(f[0]))
                guard let face = result.faces.max(by: { $0.box.area < $1.box.area }), let e = face.expression else {
                    missed += 1
                    continue
                }
                threshold = e.threshold
                truth.append(label)
                probs.append(e.probabilities)
            } catch {
                unreadable.append("\(f[0]): \(error)")
            }
        }
        return Report(photos: photos, missedFaces: missed, unreadable: unreadable,
                      classification: ClassificationReport(head: "ferplus", labels: "folder labels", classes: classes,
                                                           truth: truth, probabilities: probs, uncalibrated: probs,
                                                           threshold: threshold, prior: analyzer.options.prior.rawValue))
    }
}
