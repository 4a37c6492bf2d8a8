import Foundation
import Logging
import MienStore
import PostgresNIO

/// The scale-out job store: the same tasks, states and result rows as the SQLite run file, in PostgreSQL, shared by
/// any number of `mien worker` processes on any number of machines (docs/BATCH.md, "PostgreSQL").
///
/// Designed against the failure modes Postgres-backed queues met:
/// - **claims commit at once**: one statement (`FOR UPDATE SKIP LOCKED` in a materialised CTE, then an UPDATE to
///   `running` with the worker id, attempt count and lease expiry) in its own transaction; no transaction stays open
///   while an input is analysed, so VACUUM and other claims never wait on a long analysis;
/// - **leases, not elapsed time**: a worker renews its lease by heartbeat while it works; only a lease that was not
///   renewed is taken over, so a long video is not run twice because it is long;
/// - **guarded completion**: results are inserted and the task marked done in one transaction whose UPDATE has
///   `WHERE id = … AND lease_owner = me AND attempts = my attempt AND state = 'running'`; a worker whose lease was
///   taken over (stopped, partitioned) writes nothing. Take-over and completion lock the same row, so one wins;
/// - **parking**: a task whose lease expired, or that failed, `maxAttempts` times is parked with its last error.
public final class PostgresJobStore: JobStore {
    public let lease: Double
    public var leaseSeconds: Double? { lease }
    public var isShared: Bool { true }
    public let maxAttempts: Int
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    let location: String

    /// Connects (checking address and credentials with one direct connection first, so a wrong URL fails at once
    /// with a clear message), creates or checks the schema, and keeps a connection pool.
    public init(url: String, leaseSeconds: Double = 30, maxAttempts: Int = 3) throws {
        let parsed = try PostgresURL(url)
        location = parsed.description
        lease = leaseSeconds
        self.maxAttempts = maxAttempts
        var quiet = Logger(label: "mien.jobs.postgres")
        quiet.logLevel = .critical
        let logger = quiet
        self.logger = logger
        let check = try parsed.connectionConfiguration()
        let where_ = parsed.description
        try Blocking.run(timeout: 20) {
            do {
                let connection = try await PostgresConnection.connect(configuration: check, id: 1, logger: logger)
                try? await connection.close()
            } catch {
                throw JobStoreError.cannotOpen(path: where_, reason: PostgresFailure.explain(error))
            }
        }
        var configuration = parsed.clientConfiguration
        configuration.options.maximumConnections = 8
        // A worker frozen inside a transaction (SIGSTOP, a stalled network) would hold its row locks until it
        // continues, and no other worker could take its task over. The server ends such a session once it has sat
        // idle inside a transaction for a lease; the frozen worker's completion is then retried and refused.
        let idleMillis = Int(max(leaseSeconds, 5) * 1000)
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "\(idleMillis)")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        try Blocking.run(timeout: 60) { [client, logger, where_] in
            try await PostgresJobSchema.migrate(client, logger: logger, location: where_)
        }
    }

    deinit { runner.cancel() }

    /// Runs `body` with retries while the database is unreachable or restarting (up to `patience` seconds), so a
    /// restart of the server mid-run costs a pause, not the run.
    func perform<T: Sendable>(patience: Double = 120,
                              _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(patience)
        var pause = 0.2
        while true {
            do {
                return try Blocking.run(timeout: 60) { [client, logger] in try await body(client, logger) }
            } catch let error where PostgresFailure.isTransient(error) && Date() < deadline {
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 3)
            } catch let error as JobStoreError {
                throw error
            } catch {
                throw JobStoreError.writeFailed(path: location, reason: PostgresFailure.explain(error))
            }
        }
    }

    // MARK: - JobStore

    public func prepare(_ manifest: RunManifest, tasks: [NewTask]) throws -> PrepareSummary {
        let location = self.location
        return try perform { client, logger in
            try await client.withTransaction(logger: logger) { db in
                try await db.query("LOCK TABLE run IN EXCLUSIVE MODE", logger: logger)
                let stored = try await PostgresJobSchema.manifest(db, logger: logger)
                if let stored {
                    guard stored.fingerprint == manifest.fingerprint else {
                        throw JobStoreError.runMismatch(path: location, stored: stored.options + " " + stored.models,
                                                        requested: manifest.options + " " + manifest.models)
                    }
                } else {
                    let classes = manifest.expressionClasses.map { $0.joined(separator: "\n") }
                    try await db.query("""
                        INSERT INTO run (id, fingerprint, options, models, expression_classes, created)
                        VALUES (1, \(manifest.fingerprint), \(manifest.options), \(manifest.models), \(classes), \(manifest.created))
                        """, logger: logger)
                }
                var summary = PrepareSummary()
                let now = Date().timeIntervalSince1970
                for task in tasks {
                    let rows = try await db.query("SELECT id, key FROM task WHERE input = \(task.input)", logger: logger)
                    var existing: (Int64, String)?
                    for try await (id, key) in rows.decode((Int64, String).self) { existing = (id, key) }
                    if let (id, key) = existing {
                        if key == task.key {
                            summary.unchanged += 1
                        } else {
                            try await db.query("DELETE FROM result WHERE task_id = \(id)", logger: logger)
                            try await db.query("""
                                UPDATE task SET key = \(task.key), kind = \(task.kind.rawValue), state = 'queued',
                                attempts = 0, lease_owner = NULL, lease_expires = NULL, last_error = NULL,
                                started = NULL, finished = NULL, seconds = NULL WHERE id = \(id)
                                """, logger: logger)
                            summary.changed += 1
                        }
                    } else {
                        try await db.query("""
                            INSERT INTO task (input, kind, key, state, priority, created)
                            VALUES (\(task.input), \(task.kind.rawValue), \(task.key), 'queued', \(task.kind.claimPriority), \(now))
                            """, logger: logger)
                        summary.added += 1
                    }
                }
                return summary
            }
        }
    }

    /// Tasks whose lease ran out go back to the queue, or are parked after `maxAttempts` starts. Safe at any time:
    /// only leases nobody renewed are touched, under the row locks a completion takes too. Rows locked by another
    /// transaction are skipped, not waited for: a worker frozen inside its completing transaction (SIGSTOP, a stalled
    /// network) must not stall every other worker's claims; its row is recovered on a later claim.
    public func recoverInterrupted(maxAttempts: Int) throws -> Int {
        try perform { client, logger in
            let rows = try await client.query("""
                UPDATE task SET state = CASE WHEN attempts >= \(maxAttempts) THEN 'parked' ELSE 'queued' END,
                  last_error = 'lease expired: worker ' || coalesce(lease_owner, '?') || ' stopped renewing it (attempt '
                               || attempts || ')',
                  lease_owner = NULL, lease_expires = NULL
                WHERE id IN (SELECT id FROM task WHERE state = 'running' AND lease_expires < now()
                             FOR UPDATE SKIP LOCKED)
                RETURNING id
                """, logger: logger)
            var n = 0
            for try await _ in rows { n += 1 }
            return n
        }
    }

    public func claim(worker: String) throws -> ClaimedTask? {
        _ = try recoverInterrupted(maxAttempts: maxAttempts)
        let lease = self.lease
        return try perform { client, logger in
            let rows = try await client.query("""
                WITH next AS MATERIALIZED (
                  SELECT id FROM task WHERE state = 'queued' ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                UPDATE task t SET state = 'running', attempts = t.attempts + 1, lease_owner = \(worker),
                  lease_expires = now() + make_interval(secs => \(lease)), started = extract(epoch FROM now())
                FROM next WHERE t.id = next.id
                RETURNING t.id, t.input, t.kind, t.key, t.attempts
                """, logger: logger)
            for try await (id, input, kind, key, attempts) in rows.decode((Int64, String, String, String, Int).self) {
                return ClaimedTask(id: id, input: input, kind: MediaKind(rawValue: kind) ?? .image, key: key,
                                   attempt: attempts, owner: worker)
            }
            return nil
        }
    }

    public func renew(_ task: ClaimedTask) throws -> Bool {
        let lease = self.lease
        return try perform(patience: lease) { client, logger in
            let rows = try await client.query("""
                UPDATE task SET lease_expires = now() + make_interval(secs => \(lease))
                WHERE id = \(task.id) AND lease_owner = \(task.owner) AND attempts = \(task.attempt) AND state = 'running'
                RETURNING id
                """, logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    public func complete(_ task: ClaimedTask, rows: ResultRows, seconds: Double) throws -> Bool {
        defer { if case .lineFile(let file) = rows { try? FileManager.default.removeItem(at: file) } }
        return try perform { client, logger in
            try await client.withTransaction(logger: logger) { db in
                let updated = try await db.query("""
                    UPDATE task SET state = 'done', finished = extract(epoch FROM now()), seconds = \(seconds),
                      last_error = NULL, lease_owner = NULL, lease_expires = NULL
                    WHERE id = \(task.id) AND lease_owner = \(task.owner) AND attempts = \(task.attempt) AND state = 'running'
                    RETURNING id
                    """, logger: logger)
                var won = false
                for try await _ in updated { won = true }
                guard won else { return false }
                var seq = 0
                func add(_ row: ResultRow) async throws {
                    try await db.query("""
                        INSERT INTO result (task_id, seq, kind, payload) VALUES (\(task.id), \(seq), \(row.kind), \(row.json))
                        """, logger: logger)
                    seq += 1
                }
                switch rows {
                case .documents(let documents):
                    for row in documents { try await add(row) }
                case .lineFile(let file):
                    // Line by line: a long video's rows never sit in memory together.
                    let reader = try LineReader(url: file)
                    while let line = try reader.next() {
                        guard let row = ResultRow(line: line) else {
                            throw JobStoreError.writeFailed(path: file.path, reason: "a result line has no kind")
                        }
                        try await add(row)
                    }
                }
                return true
            }
        }
    }

    /// Failures are retried (a shared filesystem or a node can fail for a moment) until `maxAttempts`, then parked.
    public func fail(_ task: ClaimedTask, reason: String, seconds: Double) throws {
        let limit = maxAttempts
        _ = try perform { client, logger in
            try await client.query("""
                UPDATE task SET state = CASE WHEN attempts >= \(limit) THEN 'parked' ELSE 'queued' END,
                  last_error = \(reason), seconds = \(seconds), lease_owner = NULL, lease_expires = NULL
                WHERE id = \(task.id) AND lease_owner = \(task.owner) AND attempts = \(task.attempt) AND state = 'running'
                """, logger: logger)
        }
    }

    public func retryFailed() throws -> Int {
        try perform { client, logger in
            let rows = try await client.query("""
                UPDATE task SET state = 'queued', attempts = 0, lease_owner = NULL, lease_expires = NULL
                WHERE state IN ('failed', 'parked') RETURNING id
                """, logger: logger)
            var n = 0
            for try await _ in rows { n += 1 }
            return n
        }
    }

    public func manifest() throws -> RunManifest? {
        try perform { client, logger in
            try await client.withConnection { db in try await PostgresJobSchema.manifest(db, logger: logger) }
        }
    }

    public func counts() throws -> TaskCounts {
        try perform { client, logger in
            var counts = TaskCounts()
            let rows = try await client.query("""
                SELECT state, count(*)::bigint, coalesce(sum(attempts), 0)::bigint FROM task GROUP BY state
                """, logger: logger)
            for try await (state, n, attempts) in rows.decode((String, Int64, Int64).self) {
                counts.attempts += Int(attempts)
                switch TaskState(rawValue: state) {
                case .queued: counts.queued = Int(n)
                case .running: counts.running = Int(n)
                case .done: counts.done = Int(n)
                case .failed: counts.failed = Int(n)
                case .parked: counts.parked = Int(n)
                case nil: break
                }
            }
            for try await n in try await client.query("SELECT count(*)::bigint FROM result", logger: logger).decode(Int64.self) {
                counts.resultRows = Int(n)
            }
            return counts
        }
    }

    public func problems(limit: Int) throws -> [TaskProblem] {
        try perform { client, logger in
            var out: [TaskProblem] = []
            let rows = try await client.query("""
                SELECT input, state, attempts, coalesce(last_error, '') FROM task WHERE state IN ('failed', 'parked')
                ORDER BY input LIMIT \(limit)
                """, logger: logger)
            for try await (input, state, attempts, reason) in rows.decode((String, String, Int, String).self) {
                out.append(TaskProblem(input: input, state: TaskState(rawValue: state) ?? .failed, attempts: attempts,
                                       reason: reason))
            }
            return out
        }
    }

    static let taskColumns = "id, input, kind, key, state, attempts, last_error, finished, created, started"
    typealias TaskColumns = (Int64, String, String, String, String, Int, String?, Double?, Double, Double?)

    static func storedTask(_ c: TaskColumns) -> StoredTask {
        StoredTask(id: c.0, input: c.1, kind: MediaKind(rawValue: c.2) ?? .image, key: c.3,
                   state: TaskState(rawValue: c.4) ?? .queued, attempts: c.5, lastError: c.6, finished: c.7,
                   created: c.8, started: c.9)
    }

    /// Reads task by task (one query per task for its rows), so memory holds one task's rows at a time.
    public func forEachTask(_ body: (StoredTask, [StoredResultRow]) throws -> Void) throws {
        let tasks: [StoredTask] = try perform { client, logger in
            var out: [StoredTask] = []
            let rows = try await client.query("SELECT \(unescaped: Self.taskColumns) FROM task ORDER BY input",
                                              logger: logger)
            for try await columns in rows.decode(TaskColumns.self) { out.append(Self.storedTask(columns)) }
            return out
        }
        for task in tasks { try body(task, try results(ofTask: task.id)) }
    }

    // MARK: - One task at a time

    public func task(input: String) throws -> StoredTask? {
        try perform { client, logger in
            let rows = try await client.query("SELECT \(unescaped: Self.taskColumns) FROM task WHERE input = \(input)",
                                              logger: logger)
            for try await columns in rows.decode(TaskColumns.self) {
                return Self.storedTask(columns)
            }
            return nil
        }
    }

    public func results(ofTask id: Int64) throws -> [StoredResultRow] {
        try perform { client, logger in
            var out: [StoredResultRow] = []
            let rows = try await client.query("""
                SELECT seq, kind, payload FROM result WHERE task_id = \(id) ORDER BY seq
                """, logger: logger)
            for try await (seq, kind, payload) in rows.decode((Int, String, String).self) {
                out.append(StoredResultRow(seq: seq, kind: kind, json: payload))
            }
            return out
        }
    }

    public func release(_ task: ClaimedTask) throws -> Bool {
        try perform { client, logger in
            let rows = try await client.query("""
                UPDATE task SET state = 'queued', attempts = greatest(0, attempts - 1), lease_owner = NULL,
                  lease_expires = NULL, started = NULL
                WHERE id = \(task.id) AND lease_owner = \(task.owner) AND attempts = \(task.attempt) AND state = 'running'
                RETURNING id
                """, logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    public func remove(input: String) throws -> Bool {
        try perform { client, logger in
            let rows = try await client.query("DELETE FROM task WHERE input = \(input) RETURNING id", logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    public func ended(before cutoff: Double) throws -> [StoredTask] {
        try perform { client, logger in
            let rows = try await client.query("""
                SELECT \(unescaped: Self.taskColumns) FROM task WHERE state IN ('done', 'failed', 'parked')
                AND coalesce(finished, started, created) < \(cutoff) ORDER BY id
                """, logger: logger)
            var out: [StoredTask] = []
            for try await columns in rows.decode(TaskColumns.self) {
                out.append(Self.storedTask(columns))
            }
            return out
        }
    }

    /// Drops the job tables (tests and `mien batch --postgres … --reset`); the rest of the database is untouched.
    public func dropTables() throws {
        try perform { client, logger in
            try await client.query("DROP TABLE IF EXISTS result, task, run, mien_store, audit_record, audit_seal",
                                   logger: logger)
        }
    }
}
