import Foundation
import MienCore

/// Reads the expression model's headline accuracy for notices from `expression.json` (its metrics) or, failing
/// that, from the lines of `MODEL_CARD.md` that state an accuracy. Returns nil when neither says anything usable;
/// the notice then points to the model card.
enum ModelCardSummary {
    /// Metric names worth a line in a notice, with the words used there.
    static let headlineMetrics: [(key: String, words: String)] = [
        ("accuracy", "accuracy"), ("test_accuracy", "accuracy"), ("majority_accuracy", "accuracy"),
        ("macro_recall", "macro recall"), ("selective_accuracy", "accuracy on the faces it answers for"),
        ("coverage", "share of faces it answers for"), ("ece", "calibration error (ECE)"),
    ]

    static func accuracy(in directory: URL) -> ModelAccuracy? {
        fromMetadata(directory.appendingPathComponent("expression.json"))
            ?? fromCard(directory.appendingPathComponent("MODEL_CARD.md"))
    }

    static func fromMetadata(_ url: URL) -> ModelAccuracy? {
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var found: [String: Double] = [:]
        collect(json, into: &found)
        var seenWords = Set<String>()
        var headlines: [String] = []
        for (key, words) in headlineMetrics {
            guard let value = found[key], !seenWords.contains(words) else { continue }
            seenWords.insert(words)
            headlines.append(key == "ece" ? "\(words) \(format(value, percent: false))"
                                          : "\(words) \(format(value, percent: true))")
        }
        guard !headlines.isEmpty else { return nil }
        let model = (json["name"] as? String) ?? (json["version"] as? String) ?? "expression model"
        let split = (json["test_split"] as? String).map { " on \($0)" } ?? ""
        return ModelAccuracy(model: model, headlines: headlines, source: "Models/expression.json" + split)
    }

    private static func collect(_ value: Any, into found: inout [String: Double]) {
        if let dict = value as? [String: Any] {
            for (key, inner) in dict {
                if let number = inner as? Double, found[key.lowercased()] == nil { found[key.lowercased()] = number }
                else { collect(inner, into: &found) }
            }
        }
    }

    static func fromCard(_ url: URL) -> ModelAccuracy? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { line in
            line.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "|", with: " ")
                .split(separator: " ").joined(separator: " ")
                .trimmingCharacters(in: CharacterSet(charactersIn: "-*# "))
        }
        let headlines = lines.filter { line in
            line.lowercased().contains("accuracy") && line.contains("%") && line.count <= 160
        }.prefix(3)
        guard !headlines.isEmpty else { return nil }
        return ModelAccuracy(model: "expression model", headlines: Array(headlines), source: "Models/MODEL_CARD.md")
    }

    private static func format(_ value: Double, percent: Bool) -> String {
        guard percent else { return String(format: "%.3f", value) }
        let pct = value <= 1 ? value * 100 : value
        return String(format: "%.1f%%", pct)
    }
}
