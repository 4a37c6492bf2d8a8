import Foundation
import GRDB

/// The run file's schema: one `DatabaseMigrator`, plus a `mien_store` row naming the kind of store and its schema
/// version, so that a run file from a newer Mien, an audit log, or any other SQLite file given as `--out` is
/// refused before anything is written to it. The same tables and states are documented in docs/BATCH.md.
enum JobSchema {
    static let kind = "jobs"
    /// Raise with every migration added below.
    static let version = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("jobs-v1") { db in
            try db.create(table: "mien_store") { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("kind", .text).notNull()
                t.column("schemaVersion", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO mien_store (id, kind, schemaVersion) VALUES (1, ?, 1)",
                           arguments: [kind])
            try db.create(table: "run") { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("fingerprint", .text).notNull()
                t.column("options", .text).notNull()
                t.column("models", .text).notNull()
                t.column("expressionClasses", .text)
                t.column("created", .double).notNull()
            }
            try db.create(table: "task") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("input", .text).notNull().unique()
                t.column("kind", .text).notNull()
                t.column("key", .text).notNull()
                t.column("state", .text).notNull()
                    .check(sql: "state IN ('queued','running','done','failed','parked')")
                // Claim order: long tasks (video, then audio) first, so they do not end a run on one core.
                t.column("priority", .integer).notNull().defaults(to: 0)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("owner", .text)
                t.column("leaseExpires", .double)
                t.column("lastError", .text)
                t.column("created", .double).notNull()
                t.column("started", .double)
                t.column("finished", .double)
                t.column("seconds", .double)
            }
            try db.create(index: "task_claim_order", on: "task", columns: ["state", "priority", "id"])
            try db.create(table: "result") { t in
                t.column("taskId", .integer).notNull().references("task", onDelete: .cascade)
                t.column("seq", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("payload", .text).notNull()
                t.primaryKey(["taskId", "seq"])
            }
        }
        return migrator
    }

    /// Refuses files this Mien must not write to; a new (empty) file passes.
    static func check(_ db: Database, path: String) throws {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
            AND name != 'grdb_migrations' ORDER BY name
            """)
        if tables.isEmpty { return }
        guard tables.contains("mien_store") else {
            throw JobStoreError.notARunFile(path: path, found: "tables " + tables.joined(separator: ", "))
        }
        guard let row = try Row.fetchOne(db, sql: "SELECT kind, schemaVersion FROM mien_store WHERE id = 1") else {
            throw JobStoreError.unknownSchema(path: path, detail: "mien_store has no row")
        }
        let store = JobRowReader(path: path, table: "mien_store")
        let foundKind = try store.required(row, "kind", as: String.self)
        let foundVersion = try store.required(row, "schemaVersion", as: Int.self)
        guard foundKind == kind else {
            throw JobStoreError.notARunFile(path: path, found: "a Mien '\(foundKind)' store")
        }
        if foundVersion > version {
            throw JobStoreError.newerSchema(path: path, found: foundVersion, supported: version)
        }
        if try migrator.hasBeenSuperseded(db) {
            throw JobStoreError.unknownSchema(path: path, detail: "migrations this Mien does not know were applied")
        }
    }
}
