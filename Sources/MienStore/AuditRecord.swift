import Crypto
import Foundation
import GRDB

/// One line of the audit log. Each record stores the SHA-256 of the record before it (`prevHash`) and its own
/// `hash` over every other field, so an edit, a deletion or a reordering breaks the chain at a record `verify`
/// can name.
public struct AuditRecord: Sendable, Codable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit_record"
    /// `prevHash` of the first record.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Position in the log, from 1, without gaps.
    public var seq: Int64
    /// UTC, ISO 8601 with milliseconds.
    public var time: String
    /// What happened: see `AuditEvent`.
    public var event: String
    /// The user name or API key id that asked.
    public var actor: String
    public var purpose: String
    /// SHA-256 hex of the input bytes; never the input itself. Empty when there is no input (e.g. a deletion).
    public var inputDigest: String
    /// A label for the input the actor gave (file name, "stdin", request id), as given.
    public var source: String
    /// Outputs produced, e.g. "measures,expressions"; empty when nothing was produced.
    public var produced: String
    public var modelVersion: String?
    public var policy: String
    /// "allowed", "allowed-by-override", "refused", or "n/a" for events that need no decision.
    public var decision: String
    public var operatorOverride: String?
    /// Event details: the rule behind a refusal, the id of a deleted result.
    public var detail: String?
    public var prevHash: String
    public var hash: String

    public init(seq: Int64, time: String, event: String, actor: String, purpose: String, inputDigest: String,
                source: String, produced: String, modelVersion: String?, policy: String, decision: String,
                operatorOverride: String?, detail: String?, prevHash: String) {
        self.seq = seq
        self.time = time
        self.event = event
        self.actor = actor
        self.purpose = purpose
        self.inputDigest = inputDigest
        self.source = source
        self.produced = produced
        self.modelVersion = modelVersion
        self.policy = policy
        self.decision = decision
        self.operatorOverride = operatorOverride
        self.detail = detail
        self.prevHash = prevHash
        self.hash = ""
        self.hash = computedHash
    }

    /// SHA-256 over every field but `seq` and `hash`, each length-prefixed so no two records encode alike. `seq` is
    /// left out on purpose: position is what `prevHash` proves, so a reordering shows as a broken link, not as an
    /// edit.
    public var computedHash: String {
        var bytes = Data("mien-audit/1".utf8)
        for field in [time, event, actor, purpose, inputDigest, source, produced, modelVersion, policy, decision,
                      operatorOverride, detail, prevHash] {
            if let field {
                let utf8 = Data(field.utf8)
                bytes.append(Data("\n\(utf8.count):".utf8))
                bytes.append(utf8)
            } else {
                bytes.append(Data("\n-".utf8))
            }
        }
        return SHA256.hash(data: bytes).hexString
    }
}

/// The kinds of records the log holds.
public enum AuditEvent: String, Sendable, CaseIterable {
    case analysis
    case refusal
    case resultStored = "result-stored"
    case resultDeleted = "result-deleted"
    case resultsExpired = "results-expired"
}

/// What a caller appends; the log adds position, time and hashes.
public struct AuditEntry: Sendable, Hashable {
    public var event: AuditEvent
    public var actor: String
    public var purpose: String
    public var inputDigest: String
    public var source: String
    public var produced: String
    public var modelVersion: String?
    public var policy: String
    public var decision: String
    public var operatorOverride: String?
    public var detail: String?

    public init(event: AuditEvent, actor: String, purpose: String, inputDigest: String = "", source: String = "",
                produced: String = "", modelVersion: String? = nil, policy: String, decision: String = "n/a",
                operatorOverride: String? = nil, detail: String? = nil) {
        self.event = event
        self.actor = actor
        self.purpose = purpose
        self.inputDigest = inputDigest
        self.source = source
        self.produced = produced
        self.modelVersion = modelVersion
        self.policy = policy
        self.decision = decision
        self.operatorOverride = operatorOverride
        self.detail = detail
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256.Digest {
    var hexString: String { Array(self).hexString }
}
