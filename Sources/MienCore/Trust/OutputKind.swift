/// What an analysis may produce, at the granularity the policy decides on.
public enum OutputKind: String, CaseIterable, Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Observable geometry and signal: landmarks, head pose, movement measures, prosody. No inference about a person's
    /// inner state.
    case measures
    /// Facial or vocal *expression* estimates (calibrated class probabilities, valence/arousal). The AI Act calls
    /// this emotion recognition even though Mien only labels the expression, not a felt emotion.
    case expressions

    public var description: String { rawValue }

    public var summary: String {
        switch self {
        case .measures: return "movement measures (landmarks, head pose, facial movement, voice prosody)"
        case .expressions: return "facial or vocal expression estimates"
        }
    }

    public static func < (lhs: OutputKind, rhs: OutputKind) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .measures: return 0
        case .expressions: return 1
        }
    }

    /// Stable text for the audit log: sorted names joined by ",", e.g. "measures,expressions".
    public static func listing(_ kinds: Set<OutputKind>) -> String {
        kinds.sorted().map(\.rawValue).joined(separator: ",")
    }
}
