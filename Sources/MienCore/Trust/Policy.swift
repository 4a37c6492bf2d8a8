/// Which outputs each purpose may have: the whole policy, in one table.
///
/// The defaults follow the EU AI Act (Regulation 2024/1689):
/// - art. 5(1)(f) prohibits inferring emotions of natural persons at the workplace and in education institutions,
///   "except where the use … is intended to be put in place … for medical or safety reasons". Mien cannot see the
///   reason, so the exception is its own purpose: an operator with a medical or safety reason declares `medical` or
///   `safety`, and that declaration is what the audit log holds them to.
/// - Annex III lists emotion recognition (point 1(c)) and polygraph-like tools in law enforcement (6(b)) and in
///   migration, asylum and border control (7(a)) as high-risk. Mien does not refuse outright there, but it never does
///   it by default: an operator must override explicitly, with a reason that the audit log keeps.
/// - Measures (landmarks, head pose, movement, prosody) infer nothing about a person's inner state and identify no
///   one, so no purpose refuses them. The same measures could be fed to someone else's emotion classifier; that use is
///   outside Mien and is the operator's responsibility.
///
/// Art. 50(3) (telling people that emotion recognition is applied to them) holds for every purpose: see `Notice`.
public struct Policy: Sendable {
    /// Names this table in every decision and audit record, so a changed table shows in the log.
    public let name: String
    public let rows: [Purpose: Row]

    public struct Row: Sendable, Hashable {
        public var measures: PolicyRule
        public var expressions: PolicyRule

        public init(measures: PolicyRule, expressions: PolicyRule) {
            self.measures = measures
            self.expressions = expressions
        }

        public subscript(kind: OutputKind) -> PolicyRule {
            switch kind {
            case .measures: return measures
            case .expressions: return expressions
            }
        }
    }

    public init(name: String, rows: [Purpose: Row]) {
        self.name = name
        self.rows = rows
    }

    // MARK: - The table

    public static let euAIAct = Policy(name: "eu-ai-act-2024/1", rows: [
        .researchWithConsent: Row(measures: .allowed, expressions: .allowed),
        .medical:             Row(measures: .allowed, expressions: .allowed),
        .safety:              Row(measures: .allowed, expressions: .allowed),
        .personalUse:         Row(measures: .allowed, expressions: .allowed),
        .mediaAnalysis:       Row(measures: .allowed, expressions: .allowed),
        .marketingResearch:   Row(measures: .allowed, expressions: .allowed),
        .workplace:           Row(measures: .allowed, expressions: .refused(.workplaceOrEducation)),
        .education:           Row(measures: .allowed, expressions: .refused(.workplaceOrEducation)),
        .lawEnforcement:      Row(measures: .allowed, expressions: .requiresOverride(.lawEnforcement)),
        .borderControl:       Row(measures: .allowed, expressions: .requiresOverride(.borderControl)),
    ])

    /// The rule for one cell; a purpose missing from a custom table is refused rather than silently allowed.
    public func rule(for purpose: Purpose, _ kind: OutputKind) -> PolicyRule {
        rows[purpose]?[kind] ?? .refused(.notInPolicy(policy: name))
    }

    /// Grants all of `requested` or throws a `PolicyRefusal` naming the first output refused and the rule.
    /// - Parameter operatorOverride: the reason an operator gives for a use that needs an override; ignored where
    ///   no requested output needs one, and it never lifts a refusal.
    public func authorize(purpose: Purpose, requested: Set<OutputKind>,
                          operatorOverride: String? = nil) throws -> PolicyDecision {
        let reason = operatorOverride.map { String($0.drop(while: \.isWhitespace).reversed()
                                                       .drop(while: \.isWhitespace).reversed()) }
        var overridden: [PolicyCitation] = []
        for kind in requested.sorted() {
            switch rule(for: purpose, kind) {
            case .allowed:
                continue
            case .refused(let citation):
                throw PolicyRefusal(policy: name, purpose: purpose, output: kind, citation: citation,
                                    overridable: false)
            case .requiresOverride(let citation):
                guard let reason, !reason.isEmpty else {
                    throw PolicyRefusal(policy: name, purpose: purpose, output: kind, citation: citation,
                                        overridable: true)
                }
                overridden.append(citation)
            }
        }
        return PolicyDecision(policy: name, purpose: purpose, granted: requested,
                              operatorOverride: overridden.isEmpty ? nil : reason,
                              overriddenRules: overridden.map(\.rule))
    }
}

/// One cell of the table.
public enum PolicyRule: Sendable, Hashable {
    case allowed
    /// Never produced for this purpose; no override lifts it.
    case refused(PolicyCitation)
    /// Produced only when an operator overrides explicitly, giving a reason that is audited.
    case requiresOverride(PolicyCitation)
}

/// The rule behind a refusal and why it applies, in words a user can check.
public struct PolicyCitation: Sendable, Hashable, Codable {
    public var rule: String
    public var reason: String

    public init(rule: String, reason: String) {
        self.rule = rule
        self.reason = reason
    }

    public static let workplaceOrEducation = PolicyCitation(
        rule: "EU AI Act art. 5(1)(f)",
        reason: "it prohibits inferring the emotions of people at the workplace or in education institutions, "
            + "except for medical or safety reasons")
    public static let lawEnforcement = PolicyCitation(
        rule: "EU AI Act art. 6(2) with Annex III points 1(c) and 6(b)",
        reason: "emotion recognition and polygraph-like tools used by law enforcement are high-risk; their "
            + "readings are easily taken as evidence of what a person feels or intends, which they are not")
    public static let borderControl = PolicyCitation(
        rule: "EU AI Act art. 6(2) with Annex III points 1(c) and 7(a)",
        reason: "emotion recognition and polygraph-like tools used in migration, asylum and border control are "
            + "high-risk; their readings are easily taken as evidence of what a person feels or intends, which "
            + "they are not")
    static func notInPolicy(policy: String) -> PolicyCitation {
        PolicyCitation(rule: "policy \(policy)", reason: "the policy has no row for this purpose")
    }
}
