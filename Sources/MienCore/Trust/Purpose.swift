/// Why an analysis is run. Every analysis declares one; the `Policy` maps it to what may be produced and the audit
/// log records it. Declaring a purpose that is not the real one is the operator's responsibility, and it is on record.
public enum Purpose: String, CaseIterable, Codable, Sendable, Hashable, CustomStringConvertible {
    case researchWithConsent = "research-with-consent"
    case medical
    case safety
    case personalUse = "personal-use"
    case mediaAnalysis = "media-analysis"
    case marketingResearch = "marketing-research"
    case workplace
    case education
    case lawEnforcement = "law-enforcement"
    case borderControl = "border-control"

    /// What a local user gets without saying anything: analysing their own pictures or recordings.
    public static let localDefault = Purpose.personalUse

    public var description: String { rawValue }

    /// Plain words for notices and help text.
    public var summary: String {
        switch self {
        case .researchWithConsent: return "research with the informed consent of the people analysed"
        case .medical: return "medical reasons (diagnosis, therapy, care)"
        case .safety: return "safety reasons (e.g. driver drowsiness, protection of life and health)"
        case .personalUse: return "personal use on one's own pictures and recordings"
        case .mediaAnalysis: return "analysis of published media (film, broadcast, online video)"
        case .marketingResearch: return "marketing research with participants who were told"
        case .workplace: return "use at a workplace (employees, applicants)"
        case .education: return "use in education (pupils, students)"
        case .lawEnforcement: return "law enforcement"
        case .borderControl: return "migration, asylum or border control"
        }
    }

    /// Parses a purpose name; the error lists the valid names.
    public static func parse(_ text: String) throws -> Purpose {
        if let purpose = Purpose(rawValue: text.lowercased()) { return purpose }
        throw PolicyConfigurationError.unknownPurpose(text)
    }
}

/// A purpose, override or retention setting that cannot be used as given.
public enum PolicyConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownPurpose(String)
    case emptyOverrideReason

    public var description: String {
        switch self {
        case .unknownPurpose(let text):
            return "'\(text)' is not a purpose Mien knows. Use one of: "
                + Purpose.allCases.map(\.rawValue).joined(separator: ", ") + "."
        case .emptyOverrideReason:
            return "an operator override needs a reason (e.g. a case or warrant reference); it is stored in the audit log."
        }
    }
}
