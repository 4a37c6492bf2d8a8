import Foundation
import GRDB

extension SQLiteJobStore {
    public struct MergeSummary: Sendable, Hashable {
        public var copied = 0
        /// Inputs already present (finished here, or unfinished in the shard too): kept as they were.
        public var duplicates = 0
    }

    /// Copies the tasks and results of `other` (a shard of the same corpus, same options and models) into this run
    /// file in one transaction, inside SQLite (ATTACH; nothing is held in memory). A task that finished in the shard
    /// replaces an unfinished copy here; the same input with another key (other content) is refused.
    public func merge(from other: SQLiteJobStore) throws -> MergeSummary {
        guard let theirs = try other.manifest() else { return MergeSummary() }
        return try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS shard", arguments: [other.url.path])
            defer { try? db.execute(sql: "DETACH DATABASE shard") }
            var summary = MergeSummary()
            try db.inTransaction(.immediate) {
                if let mine = try Self.fetchManifest(db, path: url.path) {
                    guard mine.fingerprint == theirs.fingerprint else {
                        throw JobStoreError.runMismatch(path: other.url.path, stored: mine.options + " " + mine.models,
                                                        requested: theirs.options + " " + theirs.models)
                    }
                } else {
                    try db.execute(sql: "INSERT INTO main.run SELECT * FROM shard.run")
                }
                if let clash = try String.fetchOne(db, sql: """
                    SELECT s.input FROM shard.task s JOIN main.task m ON m.input = s.input WHERE m.key != s.key LIMIT 1
                    """) {
                    throw JobStoreError.runMismatch(path: other.url.path, stored: "\(clash) with other content",
                                                    requested: "the shard's copy of it")
                }
                let shardTasks = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM shard.task") ?? 0
                try db.execute(sql: """
                    DELETE FROM main.task WHERE state != 'done'
                    AND input IN (SELECT input FROM shard.task WHERE state = 'done')
                    """)
                try db.execute(sql: """
                    INSERT INTO main.task (input, kind, key, state, priority, attempts, lastError, created, finished, seconds)
                    SELECT input, kind, key, CASE state WHEN 'running' THEN 'queued' ELSE state END, priority, attempts,
                           lastError, created, finished, seconds
                    FROM shard.task WHERE input NOT IN (SELECT input FROM main.task) ORDER BY id
                    """)
                summary.copied = db.changesCount
                summary.duplicates = shardTasks - summary.copied
                try db.execute(sql: """
                    INSERT INTO main.result (taskId, seq, kind, payload)
                    SELECT m.id, r.seq, r.kind, r.payload FROM shard.result r
                    JOIN shard.task s ON s.id = r.taskId AND s.state = 'done'
                    JOIN main.task m ON m.input = s.input AND m.state = 'done'
                    WHERE NOT EXISTS (SELECT 1 FROM main.result x WHERE x.taskId = m.id)
                    """)
                return .commit
            }
            return summary
        }
    }
}
