import Crypto
import Foundation
import GRDB

/// The append-only, hash-chained audit log in one SQLite file, sealed with an operator key.
///
/// Appends from any number of threads and processes keep one chain: each append is an IMMEDIATE transaction (it
/// takes SQLite's write lock before reading the head), reads the last record and the seal, checks them, inserts
/// the next record and re-signs the seal, and commits with synchronous=FULL before returning.
public final class AuditLog: Sendable {
    public let url: URL
    let queue: DatabaseQueue
    // Kept as bytes: SymmetricKey is not Sendable.
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(url: URL, sealKey: SealKeySource) throws {
        self.url = url
        keyBytes = try sealKey.load().withUnsafeBytes { Data($0) }
        queue = try StoreDatabase.open(url, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("audit-v1") { db in
            try db.create(table: AuditRecord.databaseTableName) { t in
                t.column("seq", .integer).primaryKey()
                t.column("time", .text).notNull()
                t.column("event", .text).notNull()
                t.column("actor", .text).notNull()
                t.column("purpose", .text).notNull()
                t.column("inputDigest", .text).notNull()
                t.column("source", .text).notNull()
                t.column("produced", .text).notNull()
                t.column("modelVersion", .text)
                t.column("policy", .text).notNull()
                t.column("decision", .text).notNull()
                t.column("operatorOverride", .text)
                t.column("detail", .text)
                t.column("prevHash", .text).notNull()
                t.column("hash", .text).notNull()
            }
            try db.create(table: AuditSeal.databaseTableName) { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("count", .integer).notNull()
                t.column("headHash", .text).notNull()
                t.column("mac", .text).notNull()
            }
        }
        return migrator
    }

    /// Appends one record and returns it once it is on disk.
    /// - Throws: `StoreError.auditLogTampered` when the head no longer matches the seal: appending would re-seal
    ///   a log whose tail was cut off or whose last record was changed.
    @discardableResult
    public func append(_ entry: AuditEntry, at date: Date = Date()) throws -> AuditRecord {
        try queue.writeWithoutTransaction { db in
            var appended: AuditRecord?
            try db.inTransaction(.immediate) {
                let last = try AuditRecord.order(Column("seq").desc).fetchOne(db)
                let seal = try AuditSeal.fetchOne(db)
                if let problem = Self.headProblem(last: last, seal: seal, key: key) {
                    throw StoreError.auditLogTampered(path: url.path, problem: problem)
                }
                let record = AuditRecord(
                    seq: (last?.seq ?? 0) + 1, time: Self.timestamp(date), event: entry.event.rawValue,
                    actor: entry.actor, purpose: entry.purpose, inputDigest: entry.inputDigest,
                    source: entry.source, produced: entry.produced, modelVersion: entry.modelVersion,
                    policy: entry.policy, decision: entry.decision, operatorOverride: entry.operatorOverride,
                    detail: entry.detail, prevHash: last?.hash ?? AuditRecord.genesisHash)
                try record.insert(db)
                try AuditSeal(count: record.seq, headHash: record.hash, key: key).save(db)
                appended = record
                return .commit
            }
            guard let appended else { throw StoreError.cannotOpen(path: url.path, reason: "append did not commit") }
            return appended
        }
    }

    /// The cheap check made before every append: the seal is genuine and names the last record, unchanged.
    public static func headProblem(last: AuditRecord?, seal: AuditSeal?, key: SymmetricKey) -> String? {
        guard let seal else {
            return last == nil ? nil : "records exist but the seal is missing"
        }
        guard seal.isSigned(by: key) else {
            return "the seal's signature does not match this key: a forged seal, or a different seal key (every "
                + "process appending to one log needs the same key: MIEN_SEAL_KEY or --seal-key)"
        }
        guard let last else { return "the seal names \(seal.count) records but the log is empty" }
        if seal.count != last.seq || seal.headHash != last.hash || last.computedHash != last.hash {
            return "the seal names record \(seal.count) as the last, the log ends at record \(last.seq)"
                + (last.computedHash != last.hash ? " whose content no longer matches its hash" : "")
        }
        return nil
    }

    public func records() throws -> [AuditRecord] {
        try queue.read { db in try AuditRecord.order(Column("seq")).fetchAll(db) }
    }

    public var count: Int {
        get throws { try queue.read { db in try AuditRecord.fetchCount(db) } }
    }

    /// The current seal as text an operator can copy somewhere else (e.g. "count 42, head 3f…"); `verify` can then
    /// be asked to check against it, which catches a rollback to an older log and its older seal.
    public func head() throws -> (count: Int64, headHash: String)? {
        try queue.read { db in try AuditSeal.fetchOne(db).map { ($0.count, $0.headHash) } }
    }

    /// Checks every record's hash, every link, the seal's signature and that the log ends where the seal says.
    public func verify(expectingAtLeast expected: (count: Int64, headHash: String)? = nil) throws -> AuditVerification {
        try queue.read { db in try Self.verify(db, path: url.path, key: key, expected: expected) }
    }

    /// Reads and checks the log in `db`, a file someone other than Mien may have written (fuzz/swift/
    /// store_records_fuzzer.swift feeds it arbitrary rows): a row Mien cannot have written is a typed error.
    static func verify(_ db: Database, path: String, key: SymmetricKey,
                       expected: (count: Int64, headHash: String)?) throws -> AuditVerification {
        let records: [AuditRecord]
        let seal: AuditSeal?
        do {
            records = try AuditRecord.order(Column("seq")).fetchAll(db)
            seal = try AuditSeal.fetchOne(db)
        } catch let error as RowDecodingError {
            throw StoreError.auditLogUnreadable(path: path, reason: "\(error)")
        }
        return AuditVerification.check(records: records, seal: seal, key: key, expected: expected)
    }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
