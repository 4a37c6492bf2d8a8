import Foundation
import MienCore

/// Who analyses, why, and what they may have: the cheap per-caller context an analysis runs under. A server makes
/// one per API key or request, the CLI one per run; making one loads nothing.
///
/// The policy is checked here, once: a `Session` exists only for a purpose that may have at least what was
/// requested (a refusal throws `PolicyRefusal` and is itself in the audit log). Every analysis run under it is
/// recorded with its decision.
public struct Session: Sendable {
    public let governance: Governance
    public let decision: PolicyDecision
    /// What the caller asked for; `decision.granted` is what they got (the same, or an error).
    public let requested: Set<OutputKind>

    /// - Parameters:
    ///   - governance: purpose, actor, audit sink, retention.
    ///   - requested: `.measures` alone for measures-only; `.expressions` too for estimates.
    /// - Throws: `PolicyRefusal` (audited) when the purpose may not have what is requested.
    public init(governance: Governance = .localDefault(),
                requested: Set<OutputKind> = [.measures, .expressions]) throws {
        self.governance = governance
        self.requested = requested
        decision = try governance.authorize(requested)
    }

    /// Measures only (`true`) or measures and expression estimates.
    public init(governance: Governance = .localDefault(), measuresOnly: Bool) throws {
        try self.init(governance: governance, requested: measuresOnly ? [.measures] : [.measures, .expressions])
    }

    public var purpose: Purpose { governance.purpose }
    public var actor: String { governance.actor }
    /// True when this session may have expression estimates.
    public var grantsExpressions: Bool { decision.granted.contains(.expressions) }

    /// Records one analysed input (its digest, never the input) and, when retention is on, keeps the report.
    func record(inputDigest: String, source: String, produced: Set<OutputKind>, modelVersion: String?,
                report: @autoclosure () throws -> Data?) throws {
        try governance.record(inputDigest: inputDigest, source: source, produced: produced,
                              modelVersion: modelVersion, decision: decision)
        if governance.retention.isEnabled, let payload = try report() {
            _ = try governance.storeResult(payload, inputDigest: inputDigest)
        }
    }
}
