import Foundation
import Logging
import MienStore
import PostgresNIO

/// The job schema in PostgreSQL: the SQLite run file's tables and states (docs/BATCH.md), with snake_case columns
/// and a real lease expiry. Created under an advisory lock, so workers starting together create it once; a
/// database whose `mien_store` says another kind or a newer version, or that holds other tables of these names,
/// is refused before anything is written.
enum PostgresJobSchema {
    static let version = 1
    /// Any fixed number: it serialises schema creation between processes.
    static let advisoryLock: Int64 = 0x6D69_656E_6A6F_6273

    static func migrate(_ client: PostgresClient, logger: Logger, location: String) async throws {
        try await client.withTransaction(logger: logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(\(advisoryLock))", logger: logger)
            var tables: [String] = []
            for try await name in try await db.query("""
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name IN ('mien_store', 'run', 'task', 'result')
                """, logger: logger).decode(String.self) {
                tables.append(name)
            }
            if tables.contains("mien_store") {
                for try await (kind, found) in try await db.query(
                    "SELECT kind, schema_version FROM mien_store WHERE id = 1", logger: logger).decode((String, Int).self) {
                    guard kind == "jobs" else { throw JobStoreError.notARunFile(path: location, found: "a Mien '\(kind)' store") }
                    if found > version {
                        throw JobStoreError.newerSchema(path: location, found: found, supported: version)
                    }
                }
                return
            }
            guard tables.isEmpty else {
                throw JobStoreError.notARunFile(path: location, found: "other tables named " + tables.sorted().joined(separator: ", "))
            }
            try await db.query("""
                CREATE TABLE mien_store (id int PRIMARY KEY CHECK (id = 1), kind text NOT NULL,
                                         schema_version int NOT NULL)
                """, logger: logger)
            try await db.query("INSERT INTO mien_store VALUES (1, 'jobs', \(version))", logger: logger)
            try await db.query("""
                CREATE TABLE run (id int PRIMARY KEY CHECK (id = 1), fingerprint text NOT NULL, options text NOT NULL,
                                  models text NOT NULL, expression_classes text, created double precision NOT NULL)
                """, logger: logger)
            try await db.query("""
                CREATE TABLE task (
                  id bigserial PRIMARY KEY, input text NOT NULL UNIQUE, kind text NOT NULL, key text NOT NULL,
                  state text NOT NULL CHECK (state IN ('queued','running','done','failed','parked')),
                  priority int NOT NULL DEFAULT 0, attempts int NOT NULL DEFAULT 0,
                  lease_owner text, lease_expires timestamptz, last_error text,
                  created double precision NOT NULL, started double precision, finished double precision,
                  seconds double precision)
                """, logger: logger)
            try await db.query("CREATE INDEX task_claim_order ON task (state, priority, id)", logger: logger)
            try await db.query("CREATE INDEX task_leases ON task (lease_expires) WHERE state = 'running'", logger: logger)
            try await db.query("""
                CREATE TABLE result (task_id bigint NOT NULL REFERENCES task (id) ON DELETE CASCADE,
                                     seq int NOT NULL, kind text NOT NULL, payload text NOT NULL,
                                     PRIMARY KEY (task_id, seq))
                """, logger: logger)
        }
    }

    static func manifest(_ db: PostgresConnection, logger: Logger) async throws -> RunManifest? {
        let rows = try await db.query("""
            SELECT fingerprint, options, models, expression_classes, created FROM run WHERE id = 1
            """, logger: logger)
        for try await (fingerprint, options, models, classes, created)
                in rows.decode((String, String, String, String?, Double).self) {
            return RunManifest(fingerprint: fingerprint, options: options, models: models,
                               expressionClasses: classes.map { $0.split(separator: "\n").map(String.init) },
                               created: created)
        }
        return nil
    }
}
