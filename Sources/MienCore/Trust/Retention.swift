/// How long analysis results are kept. The default keeps nothing: images, frames and recordings are never kept,
/// and results only when an operator enables retention with a time-to-live.
public enum Retention: Sendable, Hashable, Codable, CustomStringConvertible {
    case none
    case timeToLive(seconds: Int)

    /// Parses "none", "0", or a number with a unit: "90s", "30m", "12h", "7d".
    public static func parse(_ text: String) throws -> Retention {
        let t = text.lowercased()
        if t == "none" || t == "0" || t == "off" { return .none }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = t.last, let scale = units[unit], let n = Int(t.dropLast()), n > 0 else {
            throw RetentionParseError(text: text)
        }
        return .timeToLive(seconds: n * scale)
    }

    public var isEnabled: Bool { self != .none }

    public var description: String {
        switch self {
        case .none: return "none"
        case .timeToLive(let s):
            if s % 86_400 == 0 { return "\(s / 86_400)d" }
            if s % 3600 == 0 { return "\(s / 3600)h" }
            if s % 60 == 0 { return "\(s / 60)m" }
            return "\(s)s"
        }
    }

    /// For notices: what is kept and for how long.
    public var plainWords: String {
        switch self {
        case .none:
            return "No picture, frame, recording or result is kept after the analysis."
        case .timeToLive(let s):
            let span: String
            if s % 86_400 == 0 { span = "\(s / 86_400) day(s)" }
            else if s % 3600 == 0 { span = "\(s / 3600) hour(s)" }
            else { span = "\((s + 59) / 60) minute(s)" }
            return "Pictures, frames and recordings are not kept. The analysis results are kept for \(span), "
                + "then deleted automatically; they are deleted earlier on request."
        }
    }
}

public struct RetentionParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var description: String {
        "'\(text)' is not a retention time. Use 'none' or a number with a unit: 90s, 30m, 12h, 7d."
    }
}
