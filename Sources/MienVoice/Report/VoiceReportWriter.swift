import Foundation

/// JSON, CSV and HTML renderings of a `VoiceAnalysis`. Column names and the JSON schema are in docs/VOICE.md.
public enum VoiceReportWriter {
    public static func json(_ analysis: VoiceAnalysis) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        return try encoder.encode(analysis)
    }

    /// One row per segment: times, prosody columns, then label, confidence and one column per class.
    public static func csv(_ analysis: VoiceAnalysis) -> String {
        let classes = analysis.segments.compactMap(\.expression).first?.classes ?? []
        var header = ["segment", "start_s", "end_s"] + ProsodyMeasures.columns
        if !classes.isEmpty { header += ["label", "confidence"] + classes.map { "p_\($0)" } }
        var lines = [header.joined(separator: ",")]
        for s in analysis.segments {
            var row = [String(s.index), format(s.start), format(s.end)]
            row += s.prosody.columnValues.map { $0.map(format) ?? "" }
            if let e = s.expression {
                row += [e.label, format(e.confidence)] + e.probabilities.map(format)
            } else if !classes.isEmpty {
                row += [String](repeating: "", count: 2 + classes.count)
            }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        return String(format: "%.4f", v)
    }
}
