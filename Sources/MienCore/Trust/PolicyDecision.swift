/// What the policy granted for one analysis. It travels with the analysis into the audit record.
public struct PolicyDecision: Sendable, Codable, Hashable {
    public var policy: String
    public var purpose: Purpose
    public var granted: Set<OutputKind>
    /// The operator's reason, present only when an override was needed and given.
    public var operatorOverride: String?
    /// The rules the override set aside, e.g. "EU AI Act art. 6(2) with Annex III points 1(c) and 6(b)".
    public var overriddenRules: [String]

    public init(policy: String, purpose: Purpose, granted: Set<OutputKind>, operatorOverride: String? = nil,
                overriddenRules: [String] = []) {
        self.policy = policy
        self.purpose = purpose
        self.granted = granted
        self.operatorOverride = operatorOverride
        self.overriddenRules = overriddenRules
    }

    /// "allowed" or "allowed-by-override", as the audit log writes it.
    public var outcome: String { operatorOverride == nil ? "allowed" : "allowed-by-override" }
}

/// The error an analysis gets when its purpose may not have an output. The message says which rule, why, and what
/// is still possible.
public struct PolicyRefusal: RemedyWorded, Sendable, Hashable {
    public var policy: String
    public var purpose: Purpose
    public var output: OutputKind
    public var citation: PolicyCitation
    /// True when an explicit operator override would allow it; false for prohibited uses.
    public var overridable: Bool

    public init(policy: String, purpose: Purpose, output: OutputKind, citation: PolicyCitation, overridable: Bool) {
        self.policy = policy
        self.purpose = purpose
        self.output = output
        self.citation = citation
        self.overridable = overridable
    }

    public func message(_ words: RemedyWording) -> String {
        let head = "refused: \(output.summary) are not produced for purpose '\(purpose.rawValue)'. "
            + "\(citation.rule): \(citation.reason)."
        let measures = output == .measures ? ""
            : " Measures-only analysis remains available (\(words.measuresOnly))."
        if overridable {
            return head + " An operator may override this explicitly with \(words.operatorOverride); "
                + "the reason is stored in the audit log." + measures
        }
        var text = head + " No override lifts this." + measures
        if citation == .workplaceOrEducation {
            text += " If the analysis serves a medical or safety reason, declare \(words.purpose("medical")) or "
                + "\(words.purpose("safety")); the declaration is recorded in the audit log."
        }
        return text
    }
}
