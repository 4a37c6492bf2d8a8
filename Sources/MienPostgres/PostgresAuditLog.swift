import Crypto
import Foundation
import Logging
import MienStore
import PostgresNIO

/// The audit log of a scale-out run in the run's PostgreSQL database: one hash chain and one seal for every worker
/// on every machine, the same records, hashes and seal as the SQLite `AuditLog` (`AuditRecord`, `AuditSeal`,
/// `AuditVerification`), so `mien audit verify --postgres URL` checks it the same way.
///
/// Appends from any number of workers keep one chain: each append is one transaction that takes a transaction-level
/// advisory lock (so appends queue; nothing else waits on it), reads the last record and the seal, checks them,
/// inserts the next record and re-signs the seal, and commits (PostgreSQL's own durable commit) before returning.
/// Every worker must hold the same seal key (MIEN_SEAL_KEY, or `--seal-key` with the same file): a worker with
/// another key is refused before it appends, with that reason.
public final class PostgresAuditLog: AuditSink, Sendable {
    let store: PostgresJobStore
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    public var location: String { store.location + " (audit_record, audit_seal)" }
    static let lockID: Int64 = 0x6D69_656E_6175_6474   // "mienaudt"

    public init(url: String, sealKey: SealKeySource) throws {
        keyBytes = try sealKey.load().withUnsafeBytes { Data($0) }
        store = try PostgresJobStore(url: url)
        try store.perform { client, logger in
            try await client.withTransaction(logger: logger) { db in
                try await db.query("SELECT pg_advisory_xact_lock(\(Self.lockID))", logger: logger)
                try await db.query("""
                    CREATE TABLE IF NOT EXISTS audit_record (
                      seq bigint PRIMARY KEY, time text NOT NULL, event text NOT NULL, actor text NOT NULL,
                      purpose text NOT NULL, input_digest text NOT NULL, source text NOT NULL, produced text NOT NULL,
                      model_version text, policy text NOT NULL, decision text NOT NULL, operator_override text,
                      detail text, prev_hash text NOT NULL, hash text NOT NULL)
                    """, logger: logger)
                // Each append carries a delivery id, so an append retried after its COMMIT's answer was lost (the
                // connection dropped after the server committed) finds its record instead of writing it twice. Not
                // part of the hash chain: it says how a record was delivered, not what happened.
                try await db.query("ALTER TABLE audit_record ADD COLUMN IF NOT EXISTS append_id text", logger: logger)
                try await db.query("""
                    CREATE UNIQUE INDEX IF NOT EXISTS audit_record_append_id ON audit_record (append_id)
                    """, logger: logger)
                try await db.query("""
                    CREATE TABLE IF NOT EXISTS audit_seal (
                      id int PRIMARY KEY CHECK (id = 1), count bigint NOT NULL, head_hash text NOT NULL, mac text NOT NULL)
                    """, logger: logger)
            }
        }
    }

    @discardableResult
    public func append(_ entry: AuditEntry, at date: Date) throws -> AuditRecord {
        try append(entry, at: date, appendID: UUID().uuidString.lowercased())
    }

    /// One append, retried (by `perform`) while the database is unreachable. `appendID` is the same on every try:
    /// a try that finds its record already there (an earlier try committed, its answer lost) returns that record.
    @discardableResult
    func append(_ entry: AuditEntry, at date: Date, appendID: String) throws -> AuditRecord {
        let keyBytes = self.keyBytes
        let location = self.location
        return try store.perform { client, logger in
            let key = SymmetricKey(data: keyBytes)
            return try await client.withTransaction(logger: logger) { db in
                try await db.query("SELECT pg_advisory_xact_lock(\(Self.lockID))", logger: logger)
                if let earlier = try await Self.records(db, logger: logger, appendID: appendID).first {
                    return earlier
                }
                let last = try await Self.records(db, logger: logger, lastOnly: true).first
                let seal = try await Self.seal(db, logger: logger)
                if let problem = AuditLog.headProblem(last: last, seal: seal, key: key) {
                    throw StoreError.auditLogTampered(path: location, problem: problem)
                }
                let record = AuditRecord(
                    seq: (last?.seq ?? 0) + 1, time: AuditLog.timestamp(date), event: entry.event.rawValue,
                    actor: entry.actor, purpose: entry.purpose, inputDigest: entry.inputDigest, source: entry.source,
                    produced: entry.produced, modelVersion: entry.modelVersion, policy: entry.policy,
                    decision: entry.decision, operatorOverride: entry.operatorOverride, detail: entry.detail,
                    prevHash: last?.hash ?? AuditRecord.genesisHash)
                try await db.query("""
                    INSERT INTO audit_record (seq, time, event, actor, purpose, input_digest, source, produced,
                      model_version, policy, decision, operator_override, detail, prev_hash, hash, append_id)
                    VALUES (\(record.seq), \(record.time), \(record.event), \(record.actor), \(record.purpose),
                      \(record.inputDigest), \(record.source), \(record.produced), \(record.modelVersion),
                      \(record.policy), \(record.decision), \(record.operatorOverride), \(record.detail),
                      \(record.prevHash), \(record.hash), \(appendID))
                    """, logger: logger)
                let newSeal = AuditSeal(count: record.seq, headHash: record.hash, key: key)
                try await db.query("""
                    INSERT INTO audit_seal (id, count, head_hash, mac) VALUES (1, \(newSeal.count), \(newSeal.headHash),
                      \(newSeal.mac))
                    ON CONFLICT (id) DO UPDATE SET count = EXCLUDED.count, head_hash = EXCLUDED.head_hash,
                      mac = EXCLUDED.mac
                    """, logger: logger)
                return record
            }
        }
    }

    public func records() throws -> [AuditRecord] {
        try store.perform { client, logger in
            try await client.withConnection { db in try await Self.records(db, logger: logger, lastOnly: false) }
        }
    }

    public func head() throws -> (count: Int64, headHash: String)? {
        try store.perform { client, logger in
            try await client.withConnection { db in try await Self.seal(db, logger: logger) }
        }.map { ($0.count, $0.headHash) }
    }

    public func verify(expectingAtLeast expected: (count: Int64, headHash: String)?) throws -> AuditVerification {
        let (records, seal): ([AuditRecord], AuditSeal?) = try store.perform { client, logger in
            try await client.withConnection { db in
                (try await Self.records(db, logger: logger, lastOnly: false), try await Self.seal(db, logger: logger))
            }
        }
        return AuditVerification.check(records: records, seal: seal, key: key, expected: expected)
    }

    /// The records as stored (their stored hashes, not recomputed: verification compares the two).
    /// All records, the last one (`lastOnly`), or the one an append with `appendID` wrote.
    private static func records(_ db: PostgresConnection, logger: Logger, lastOnly: Bool = false,
                                appendID: String? = nil) async throws -> [AuditRecord] {
        let columns = """
            seq, time, event, actor, purpose, input_digest, source, produced, model_version, policy, decision, \
            operator_override, detail, prev_hash, hash
            """
        let rows = try await db.query(
            appendID.map { "SELECT \(unescaped: columns) FROM audit_record WHERE append_id = \($0)" }
                ?? (lastOnly ? "SELECT \(unescaped: columns) FROM audit_record ORDER BY seq DESC LIMIT 1"
                             : "SELECT \(unescaped: columns) FROM audit_record ORDER BY seq"),
            logger: logger)
        var records: [AuditRecord] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            var record = AuditRecord(
                seq: try c[0].decode(Int64.self), time: try c[1].decode(String.self), event: try c[2].decode(String.self),
                actor: try c[3].decode(String.self), purpose: try c[4].decode(String.self),
                inputDigest: try c[5].decode(String.self), source: try c[6].decode(String.self),
                produced: try c[7].decode(String.self), modelVersion: try c[8].decode(String?.self),
                policy: try c[9].decode(String.self), decision: try c[10].decode(String.self),
                operatorOverride: try c[11].decode(String?.self), detail: try c[12].decode(String?.self),
                prevHash: try c[13].decode(String.self))
            record.hash = try c[14].decode(String.self)
            records.append(record)
        }
        return records
    }

    private static func seal(_ db: PostgresConnection, logger: Logger) async throws -> AuditSeal? {
        let rows = try await db.query("SELECT count, head_hash, mac FROM audit_seal WHERE id = 1", logger: logger)
        for try await (count, head, mac) in rows.decode((Int64, String, String).self) {
            return AuditSeal(count: count, headHash: head, mac: mac)
        }
        return nil
    }
}
