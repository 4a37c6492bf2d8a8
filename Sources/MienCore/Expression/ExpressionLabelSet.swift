/// Which labels an expression estimate answers in: what people *see* in the face, or what the photo was *meant* to
/// show. The model has one head for each (Models/MODEL_CARD.md, "Cross-dataset").
///
/// FER+'s ten raters per face gave the `perceived` labels (8 classes with contempt); FER2013's original labels came
/// from the web search that found each photo, so they say which emotion it was meant to show (7 classes), as the
/// posed labels of lab datasets do. The two disagree on many faces: on the 719 PrivateTest faces whose FER2013 label
/// is an emotion while most raters saw a neutral face, the perceived head gives the intended label for 15.0% (it
/// says "neutral", as the raters did), the intended head for 43.8%. Neither is a measure of felt emotion.
public enum ExpressionLabelSet: String, Sendable, Codable, Hashable, CaseIterable, CustomStringConvertible {
    /// What FER+'s raters saw: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt. The default.
    case perceived
    /// What the photo was meant to show (FER2013's search labels): angry, disgust, fear, happy, sad, surprise,
    /// neutral. Closer to posed labels; lower accuracy against what raters see (FER+ majority 68.9% vs 83.4%).
    case intended

    public static let `default`: ExpressionLabelSet = .perceived

    /// The model head that answers in these labels.
    public var headName: String { self == .perceived ? "ferplus" : "fer2013" }

    public var description: String { rawValue }

    /// Parses a command-line or request value; the error lists the choices.
    public static func parse(_ text: String) throws -> ExpressionLabelSet {
        guard let labels = ExpressionLabelSet(rawValue: text.lowercased()) else {
            throw AnalysisError.unknownLabelSet(name: text, available: allCases.map(\.rawValue))
        }
        return labels
    }
}
