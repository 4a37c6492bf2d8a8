import Foundation
import GRDB

/// Analysis results kept for a time-to-live, only when an operator enabled retention. Pictures, frames and
/// recordings are never stored here; a result is the report (JSON or another rendering) of one analysis.
///
/// Deletion overwrites the freed pages (secure_delete) and checkpoints the WAL, so the deleted bytes do not linger
/// in the file.
public final class ResultStore: Sendable {
    public let url: URL
    let queue: DatabaseQueue

    public init(url: URL) throws {
        self.url = url
        queue = try StoreDatabase.open(url, secureDelete: true, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("results-v1") { db in
            try db.create(table: StoredResult.databaseTableName) { t in
                t.column("id", .text).primaryKey()
                t.column("created", .double).notNull()
                t.column("expires", .double).notNull().indexed()
                t.column("purpose", .text).notNull()
                t.column("actor", .text).notNull()
                t.column("inputDigest", .text).notNull()
                t.column("mediaType", .text).notNull()
                t.column("payload", .blob).notNull()
            }
        }
        return migrator
    }

    /// Stores `payload` until `now + ttl` and returns the stored result (with its new id).
    @discardableResult
    public func store(_ payload: Data, mediaType: String, inputDigest: String, purpose: String, actor: String,
                      ttl seconds: Int, now: Date = Date()) throws -> StoredResult {
        let result = StoredResult(id: UUID().uuidString.lowercased(), created: now.timeIntervalSince1970,
                                  expires: now.timeIntervalSince1970 + Double(seconds), purpose: purpose,
                                  actor: actor, inputDigest: inputDigest, mediaType: mediaType, payload: payload)
        try queue.write { db in try result.insert(db) }
        return result
    }

    public func fetch(id: String, now: Date = Date()) throws -> StoredResult? {
        try queue.read { db in
            try StoredResult.filter(key: id).filter(Column("expires") > now.timeIntervalSince1970).fetchOne(db)
        }
    }

    /// Summaries (no payload) of the results not yet expired, oldest first.
    public func list(now: Date = Date()) throws -> [StoredResult.Summary] {
        try queue.read { db in
            try StoredResult.Summary.fetchAll(db, sql: """
                SELECT id, created, expires, purpose, actor, inputDigest, mediaType, length(payload) AS bytes
                FROM stored_result WHERE expires > ? ORDER BY created
                """, arguments: [now.timeIntervalSince1970])
        }
    }

    /// Deletes one result; returns false when there was none with that id.
    public func delete(id: String) throws -> Bool {
        let deleted = try queue.write { db in try StoredResult.deleteOne(db, key: id) }
        if deleted { try checkpoint() }
        return deleted
    }

    /// Deletes every expired result and returns their ids.
    public func purgeExpired(now: Date = Date()) throws -> [String] {
        let ids = try queue.write { db -> [String] in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM stored_result WHERE expires <= ?",
                                          arguments: [now.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM stored_result WHERE expires <= ?", arguments: [now.timeIntervalSince1970])
            return ids
        }
        if !ids.isEmpty { try checkpoint() }
        return ids
    }

    private func checkpoint() throws {
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}

public struct StoredResult: Sendable, Codable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "stored_result"
    public var id: String
    /// Seconds since 1970, UTC.
    public var created: Double
    public var expires: Double
    public var purpose: String
    public var actor: String
    public var inputDigest: String
    public var mediaType: String
    public var payload: Data

    public struct Summary: Sendable, Codable, Hashable, FetchableRecord {
        public var id: String
        public var created: Double
        public var expires: Double
        public var purpose: String
        public var actor: String
        public var inputDigest: String
        public var mediaType: String
        public var bytes: Int
    }
}
