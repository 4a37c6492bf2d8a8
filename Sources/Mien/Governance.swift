import Crypto
import Foundation
import MienCore
import MienStore

/// Who runs an analysis and why, and what follows from that: the policy decision, the audit record, and how long
/// results are kept. Every front end (CLI, server) builds one and calls `authorize` before analysing and `record`
/// after; neither can produce an output the policy refuses.
///
/// Files are created only when something is written: the audit log and its seal key on the first `authorize`
/// refusal or `record`, the result store only when retention is enabled. The local default does keep an audit log
/// (`~/.local/share/mien/audit.sqlite`, or `$MIEN_HOME`): it holds digests and decisions, never pictures.
public struct Governance: Sendable {
    public let purpose: Purpose
    public let actor: String
    /// The operator's reason for a use that needs an override (law enforcement, border control); audited.
    public let operatorOverride: String?
    public let retention: Retention
    public let policy: Policy
    public let auditDatabase: URL
    public let resultsDatabase: URL
    public let sealKey: SealKeySource
    /// Where the audit log is, for messages: the file's path, or the database of a shared log.
    public let auditLocation: String
    private let stores: OpenStores

    /// - Parameters:
    ///   - home: the folder for default files; `$MIEN_HOME`, else `~/.local/share/mien`.
    ///   - auditDatabase: the audit log file; `home/audit.sqlite` by default.
    ///   - sealKey: `MIEN_SEAL_KEY` when set, else `home/seal.key` (created 0600 on first use).
    ///   - auditSink, resultStore: stores to use instead of the SQLite files (a server's shared log, tests).
    public init(purpose: Purpose, actor: String, operatorOverride: String? = nil, retention: Retention = .none,
                home: URL? = nil, auditDatabase: URL? = nil, resultsDatabase: URL? = nil,
                sealKey: SealKeySource? = nil, policy: Policy = .euAIAct,
                auditSink: (any AuditSink)? = nil, resultStore: (any ResultStoring)? = nil,
                auditLocation: String? = nil) {
        let home = home ?? StoreLocation.home()
        self.purpose = purpose
        self.actor = actor
        self.operatorOverride = operatorOverride
        self.retention = retention
        self.policy = policy
        self.auditDatabase = auditDatabase ?? StoreLocation.auditDatabase(in: home)
        self.resultsDatabase = resultsDatabase ?? StoreLocation.resultsDatabase(in: home)
        self.sealKey = sealKey ?? SealKeySource.fromEnvironment(home: home)
        self.auditLocation = auditLocation ?? self.auditDatabase.path
        stores = OpenStores(audit: auditSink, results: resultStore)
    }

    /// The same settings for another caller (a server's API key with its own purpose), sharing this governance's
    /// audit log and result store.
    public func acting(as actor: String, purpose: Purpose? = nil, operatorOverride: String? = nil) -> Governance {
        Governance(copying: self, actor: actor, purpose: purpose ?? self.purpose,
                   operatorOverride: operatorOverride ?? self.operatorOverride)
    }

    private init(copying other: Governance, actor: String, purpose: Purpose, operatorOverride: String?) {
        self.purpose = purpose
        self.actor = actor
        self.operatorOverride = operatorOverride
        retention = other.retention
        policy = other.policy
        auditDatabase = other.auditDatabase
        resultsDatabase = other.resultsDatabase
        sealKey = other.sealKey
        auditLocation = other.auditLocation
        stores = other.stores
    }

    /// The same settings appending to another audit log (a scale-out run's shared chain in PostgreSQL);
    /// `auditLocation` names it in messages.
    public func auditing(to sink: any AuditSink, at location: String) -> Governance {
        Governance(purpose: purpose, actor: actor, operatorOverride: operatorOverride, retention: retention,
                   auditDatabase: auditDatabase, resultsDatabase: resultsDatabase, sealKey: sealKey, policy: policy,
                   auditSink: sink, auditLocation: location)
    }

    /// A local user analysing their own material: purpose personal-use, actor `$USER`, files under `$MIEN_HOME` or
    /// `~/.local/share/mien`, nothing retained.
    public static func localDefault() -> Governance {
        Governance(purpose: .localDefault, actor: localUser())
    }

    static func localUser(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["USER"] ?? environment["LOGNAME"] ?? "local-user"
    }

    // MARK: - Policy

    /// Grants `requested` under this purpose or throws a `PolicyRefusal` that cites the rule and says measures-only
    /// remains available. A refusal is itself audited (best effort: a failing log never hides the refusal).
    public func authorize(_ requested: Set<OutputKind>) throws -> PolicyDecision {
        do {
            return try policy.authorize(purpose: purpose, requested: requested, operatorOverride: operatorOverride)
        } catch let refusal as PolicyRefusal {
            _ = try? auditLog().append(AuditEntry(
                event: .refusal, actor: actor, purpose: purpose.rawValue,
                produced: OutputKind.listing(requested), policy: policy.name, decision: "refused",
                operatorOverride: operatorOverride, detail: "\(refusal.output.rawValue): \(refusal.citation.rule)"), at: Date())
            throw refusal
        }
    }

    // MARK: - Audit

    /// Appends the audit record of one analysis; returns once it is on disk.
    /// - Parameters:
    ///   - inputDigest: SHA-256 hex of the input bytes (`Governance.digest(of:)`); never the input.
    ///   - source: the label the actor gave the input (file name, request id).
    ///   - produced: what the analysis actually produced (may be less than granted, e.g. no face found).
    @discardableResult
    public func record(inputDigest: String, source: String, produced: Set<OutputKind>, modelVersion: String?,
                       decision: PolicyDecision) throws -> AuditRecord {
        let record = try auditLog().append(AuditEntry(
            event: .analysis, actor: actor, purpose: decision.purpose.rawValue, inputDigest: inputDigest,
            source: source, produced: OutputKind.listing(produced), modelVersion: modelVersion,
            policy: decision.policy, decision: decision.outcome, operatorOverride: decision.operatorOverride,
            detail: decision.overriddenRules.isEmpty ? nil : "overrode: " + decision.overriddenRules.joined(separator: "; ")), at: Date())
        if hasResultStore {
            _ = try purgeExpiredResults()
        }
        return record
    }

    public func verifyAuditLog(expectingHead head: (count: Int64, headHash: String)? = nil) throws -> AuditVerification {
        try auditLog().verify(expectingAtLeast: head)
    }

    public func exportAuditLog(to handle: FileHandle) throws {
        try auditLog().exportJSONLines(to: handle)
    }

    /// The audit log, opened (and created) on first use.
    public func auditLog() throws -> any AuditSink {
        try stores.audit { try AuditLog(url: auditDatabase, sealKey: sealKey) }
    }

    /// SHA-256 hex of `data`: what the audit log stores in place of the input.
    public static func digest(of data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 hex of a file's bytes, read in 1 MiB pieces.
    public static func digest(fileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Retention

    /// Keeps `payload` (a report, never the picture) for the retention time and returns its id; returns nil and
    /// writes nothing when retention is off. Audited.
    public func storeResult(_ payload: Data, mediaType: String = "application/json",
                            inputDigest: String) throws -> String? {
        guard case .timeToLive(let seconds) = retention else { return nil }
        let stored = try resultStore().store(payload, mediaType: mediaType, inputDigest: inputDigest,
                                             purpose: purpose.rawValue, actor: actor, ttl: seconds, now: Date())
        try auditLog().append(AuditEntry(event: .resultStored, actor: actor, purpose: purpose.rawValue,
                                         inputDigest: inputDigest, policy: policy.name,
                                         detail: "\(stored.id) ttl \(retention)"), at: Date())
        return stored.id
    }

    /// Deletes a stored result on request; the deletion is audited. Returns false when no such result exists.
    public func deleteResult(id: String) throws -> Bool {
        guard hasResultStore else { return false }
        guard try resultStore().delete(id: id) else { return false }
        try auditLog().append(AuditEntry(event: .resultDeleted, actor: actor, purpose: purpose.rawValue,
                                         policy: policy.name, detail: id), at: Date())
        return true
    }

    /// Deletes expired results (audited when any were) and returns their ids.
    public func purgeExpiredResults(now: Date = Date()) throws -> [String] {
        guard hasResultStore else { return [] }
        let ids = try resultStore().purgeExpired(now: now)
        if !ids.isEmpty {
            try auditLog().append(AuditEntry(event: .resultsExpired, actor: actor, purpose: purpose.rawValue,
                                             policy: policy.name, detail: ids.joined(separator: ",")), at: Date())
        }
        return ids
    }

    public func listResults() throws -> [StoredResult.Summary] {
        guard hasResultStore else { return [] }
        return try resultStore().list(now: Date())
    }

    public func fetchResult(id: String) throws -> StoredResult? {
        guard hasResultStore else { return nil }
        return try resultStore().fetch(id: id, now: Date())
    }

    /// True when results may exist: a store was given, or its file is there.
    var hasResultStore: Bool { stores.hasResults || FileManager.default.fileExists(atPath: resultsDatabase.path) }

    func resultStore() throws -> any ResultStoring {
        try stores.results { try ResultStore(url: resultsDatabase) }
    }

    // MARK: - Notice

    /// The notice for the people analysed under this purpose (EU AI Act art. 50(3)), with the model card's
    /// headline accuracy when it can be found.
    public func notice(operatorName: String, contact: String? = nil,
                       modelDirectory: URL? = ModelLocator.directory()) -> Notice {
        Notice(purpose: purpose, operatorName: operatorName, contact: contact, retention: retention,
               accuracy: modelDirectory.flatMap(ModelCardSummary.accuracy(in:)), policy: policy)
    }
}

/// The stores a `Governance` opened (or was given), shared by its copies. Opening once per process keeps one SQLite
/// connection.
// Safe to share: both slots are read and written only under `lock`; the stores are Sendable themselves.
private final class OpenStores: @unchecked Sendable {
    private let lock = NSLock()
    private var auditLog: (any AuditSink)?
    private var resultStore: (any ResultStoring)?

    init(audit: (any AuditSink)?, results: (any ResultStoring)?) {
        auditLog = audit
        resultStore = results
    }

    var hasResults: Bool { lock.withLock { resultStore != nil } }

    func audit(_ open: () throws -> any AuditSink) throws -> any AuditSink {
        try lock.withLock {
            if let auditLog { return auditLog }
            let log = try open()
            auditLog = log
            return log
        }
    }

    func results(_ open: () throws -> any ResultStoring) throws -> any ResultStoring {
        try lock.withLock {
            if let resultStore { return resultStore }
            let store = try open()
            resultStore = store
            return store
        }
    }
}
