import Foundation
import GRDB

/// The run file of `mien batch`: an SQLite database (WAL, every write one transaction), so a process killed at any
/// instant leaves every acknowledged task and result on disk and nothing half-written.
///
/// One process works on a run at a time: the writer holds a `RunLock`; `status` and `export` read without it
/// (WAL lets them read while a run writes). Inside that process, worker threads share this store; GRDB's queue
/// serialises their transactions.
public final class SQLiteJobStore: JobStore {
    public let url: URL
    let queue: DatabaseQueue
    /// Held for the store's life when opened for writing.
    private let lock: RunLock?

    /// - Parameter exclusive: take the run lock (for running or changing the run); refused with
    ///   `JobStoreError.runInUse` while another process holds it.
    public init(url: URL, exclusive: Bool) throws {
        self.url = url
        lock = exclusive ? try RunLock(runFile: url) : nil
        do {
            if !FileManager.default.fileExists(atPath: url.path) {
                guard exclusive else {
                    throw JobStoreError.cannotOpen(path: url.path, reason: "no such file")
                }
                // Created private first: SQLite gives its -wal and -shm files the main file's permissions.
                FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            var config = Configuration()
            config.journalMode = .wal
            config.busyMode = .timeout(StoreDatabase.busyTimeout)
            config.foreignKeysEnabled = true
            queue = try StoreDatabase.openRetryingWhileBusy(url, configuration: config)
            // NORMAL, not the audit log's FULL: in WAL mode a commit survives the process being killed at any
            // instant either way; only a power cut can lose the last commits, and then those tasks are simply
            // redone (a result and its `done` are one transaction, so none is half-written or written twice).
            // FULL cost an fsync per claim and per completion: claims took 4 ms (p50) against 0.03 ms now.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try queue.read { db in try JobSchema.check(db, path: url.path) }
            if exclusive { try JobSchema.migrator.migrate(queue) }
        } catch let error as JobStoreError {
            throw error
        } catch {
            throw JobStoreError.cannotOpen(path: url.path, reason: "\(error)")
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.write(body)
        } catch let error as JobStoreError {
            throw error
        } catch {
            throw JobStoreError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// Reads from the run file; an SQLite error is `JobStoreError.readFailed`, a row Mien cannot have written
    /// `JobStoreError.damagedRow`.
    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as JobStoreError {
            throw error
        } catch {
            throw JobStoreError.readFailed(path: url.path, reason: "\(error)")
        }
    }

    /// Row readers of the run file's tables (see JobRowReader: GRDB's subscripts trap on a NULL).
    private var taskReader: JobRowReader { JobRowReader(path: url.path, table: "task") }
    private var resultReader: JobRowReader { JobRowReader(path: url.path, table: "result") }

    private var now: Double { Date().timeIntervalSince1970 }

    // MARK: - Preparing

    public func prepare(_ manifest: RunManifest, tasks: [NewTask]) throws -> PrepareSummary {
        try write { db in
            if let stored = try Self.fetchManifest(db, path: url.path) {
                guard stored.fingerprint == manifest.fingerprint else {
                    throw JobStoreError.runMismatch(path: url.path, stored: stored.options + " " + stored.models,
                                                    requested: manifest.options + " " + manifest.models)
                }
            } else {
                let classes = try manifest.expressionClasses.map {
                    String(decoding: try JSONEncoder().encode($0), as: UTF8.self)
                }
                try db.execute(sql: """
                    INSERT INTO run (id, fingerprint, options, models, expressionClasses, created)
                    VALUES (1, ?, ?, ?, ?, ?)
                    """, arguments: [manifest.fingerprint, manifest.options, manifest.models, classes,
                                     manifest.created])
            }
            var summary = PrepareSummary()
            let find = try db.makeStatement(sql: "SELECT id, key FROM task WHERE input = ?")
            let insert = try db.makeStatement(sql: """
                INSERT INTO task (input, kind, key, state, priority, created) VALUES (?, ?, ?, 'queued', ?, ?)
                """)
            let requeue = try db.makeStatement(sql: """
                UPDATE task SET key = ?, kind = ?, state = 'queued', attempts = 0, owner = NULL, lastError = NULL,
                started = NULL, finished = NULL, seconds = NULL WHERE id = ?
                """)
            let clear = try db.makeStatement(sql: "DELETE FROM result WHERE taskId = ?")
            let time = now
            for task in tasks {
                if let row = try Row.fetchOne(find, arguments: [task.input]) {
                    let id = try taskReader.required(row, "id", as: Int64.self)
                    let key = try taskReader.required(row, "key", as: String.self)
                    if key == task.key {
                        summary.unchanged += 1
                    } else {
                        try clear.execute(arguments: [id])
                        try requeue.execute(arguments: [task.key, task.kind.rawValue, id])
                        summary.changed += 1
                    }
                } else {
                    try insert.execute(arguments: [task.input, task.kind.rawValue, task.key, task.kind.claimPriority, time])
                    summary.added += 1
                }
            }
            return summary
        }
    }

    public func recoverInterrupted(maxAttempts: Int) throws -> Int {
        try write { db in
            try db.execute(sql: """
                UPDATE task SET
                  state = CASE WHEN attempts >= ? THEN 'parked' ELSE 'queued' END,
                  lastError = 'interrupted: the process ended while analysing it (' || attempts || ' attempt(s))',
                  owner = NULL
                WHERE state = 'running'
                """, arguments: [maxAttempts])
            return db.changesCount
        }
    }

    // MARK: - Working

    public func claim(worker: String) throws -> ClaimedTask? {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, input, kind, key, attempts FROM task WHERE state = 'queued' ORDER BY priority, id LIMIT 1
                """) else { return nil }
            let id = try taskReader.required(row, "id", as: Int64.self)
            let (attempts, overflow) = try taskReader.required(row, "attempts", as: Int.self).addingReportingOverflow(1)
            guard !overflow else {
                throw JobStoreError.damagedRow(path: url.path, table: "task", row: "id \(id)", column: "attempts",
                                               problem: "\(Int.max) attempts, more than Mien can have started")
            }
            let input = try taskReader.required(row, "input", as: String.self)
            let key = try taskReader.required(row, "key", as: String.self)
            let kind = MediaKind(rawValue: try taskReader.required(row, "kind", as: String.self)) ?? .image
            try db.execute(sql: """
                UPDATE task SET state = 'running', attempts = ?, owner = ?, started = ? WHERE id = ?
                """, arguments: [attempts, worker, now, id])
            return ClaimedTask(id: id, input: input, kind: kind, key: key, attempt: attempts, owner: worker)
        }
    }

    public func complete(_ task: ClaimedTask, rows: ResultRows, seconds: Double) throws -> Bool {
        defer { if case .lineFile(let file) = rows { try? FileManager.default.removeItem(at: file) } }
        return try write { db in
            try db.execute(sql: """
                UPDATE task SET state = 'done', finished = ?, seconds = ?, lastError = NULL, owner = NULL
                WHERE id = ? AND owner = ? AND state = 'running'
                """, arguments: [now, seconds, task.id, task.owner])
            guard db.changesCount == 1 else { return false }
            let insert = try db.makeStatement(sql: "INSERT INTO result (taskId, seq, kind, payload) VALUES (?, ?, ?, ?)")
            var seq = 0
            func add(_ row: ResultRow) throws {
                try insert.execute(arguments: [task.id, seq, row.kind, row.json])
                seq += 1
            }
            switch rows {
            case .documents(let documents):
                for row in documents { try add(row) }
            case .lineFile(let file):
                try LineReader.forEachLine(in: file) { line in
                    guard let row = ResultRow(line: line) else {
                        throw JobStoreError.writeFailed(path: file.path, reason: "a result line has no kind")
                    }
                    try add(row)
                }
            }
            return true
        }
    }

    public func fail(_ task: ClaimedTask, reason: String, seconds: Double) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE task SET state = 'failed', lastError = ?, finished = ?, seconds = ?, owner = NULL
                WHERE id = ? AND owner = ? AND state = 'running'
                """, arguments: [reason, now, seconds, task.id, task.owner])
        }
    }

    public func retryFailed() throws -> Int {
        try write { db in
            try db.execute(sql: """
                UPDATE task SET state = 'queued', attempts = 0, owner = NULL, finished = NULL, seconds = NULL
                WHERE state IN ('failed', 'parked')
                """)
            return db.changesCount
        }
    }

    // MARK: - Reading

    public func manifest() throws -> RunManifest? {
        try read { db in try Self.fetchManifest(db, path: url.path) }
    }

    static func fetchManifest(_ db: Database, path: String) throws -> RunManifest? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = 1") else { return nil }
        let run = JobRowReader(path: path, table: "run")
        let classesJSON = try run.optional(row, "expressionClasses", as: String.self)
        let classes = try classesJSON.map { json in
            do {
                return try JSONDecoder().decode([String].self, from: Data(json.utf8))
            } catch {
                throw JobStoreError.damagedRow(path: path, table: "run", row: "id 1", column: "expressionClasses",
                                               problem: "not a JSON list of class names")
            }
        }
        return RunManifest(fingerprint: try run.required(row, "fingerprint"), options: try run.required(row, "options"),
                           models: try run.required(row, "models"), expressionClasses: classes,
                           created: try run.required(row, "created"))
    }

    public func counts() throws -> TaskCounts {
        try read { db in
            var counts = TaskCounts()
            let sql = "SELECT state, COUNT(*) AS n, SUM(attempts) AS attempts FROM task GROUP BY state"
            for row in try Row.fetchAll(db, sql: sql) {
                let n = try taskReader.required(row, "n", as: Int.self)
                counts.attempts += try taskReader.optional(row, "attempts", as: Int.self) ?? 0
                switch TaskState(rawValue: try taskReader.optional(row, "state", as: String.self) ?? "") {
                case .queued: counts.queued = n
                case .running: counts.running = n
                case .done: counts.done = n
                case .failed: counts.failed = n
                case .parked: counts.parked = n
                case nil: break
                }
            }
            counts.resultRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM result") ?? 0
            return counts
        }
    }

    public func problems(limit: Int) throws -> [TaskProblem] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, input, state, attempts, lastError FROM task WHERE state IN ('failed', 'parked')
                ORDER BY input LIMIT ?
                """, arguments: [limit]).map {
                TaskProblem(input: try taskReader.required($0, "input"),
                            state: TaskState(rawValue: try taskReader.required($0, "state")) ?? .failed,
                            attempts: try taskReader.required($0, "attempts"),
                            reason: try taskReader.optional($0, "lastError") ?? "")
            }
        }
    }

    static let taskColumns = "id, input, kind, key, state, attempts, lastError, finished, created, started"

    private func storedTask(_ t: Row) throws -> StoredTask {
        StoredTask(id: try taskReader.required(t, "id"), input: try taskReader.required(t, "input"),
                   kind: MediaKind(rawValue: try taskReader.required(t, "kind")) ?? .image,
                   key: try taskReader.required(t, "key"),
                   state: TaskState(rawValue: try taskReader.required(t, "state")) ?? .queued,
                   attempts: try taskReader.required(t, "attempts"),
                   lastError: try taskReader.optional(t, "lastError"),
                   finished: try taskReader.optional(t, "finished"),
                   created: try taskReader.optional(t, "created"), started: try taskReader.optional(t, "started"))
    }

    private func resultRows(_ statement: Statement, task id: Int64) throws -> [StoredResultRow] {
        try Row.fetchAll(statement, arguments: [id]).map {
            StoredResultRow(seq: try resultReader.required($0, "seq"), kind: try resultReader.required($0, "kind"),
                            json: try resultReader.required($0, "payload"))
        }
    }

    private static let resultsOfTask = "SELECT seq, kind, payload FROM result WHERE taskId = ? ORDER BY seq"

    public func forEachTask(_ body: (StoredTask, [StoredResultRow]) throws -> Void) throws {
        try read { db in
            let rows = try db.makeStatement(sql: Self.resultsOfTask)
            let tasks = try Row.fetchCursor(db, sql: "SELECT \(Self.taskColumns) FROM task ORDER BY input")
            while let t = try tasks.next() {
                let task = try storedTask(t)
                try body(task, try resultRows(rows, task: task.id))
            }
        }
    }

    // MARK: - One task at a time

    public func task(input: String) throws -> StoredTask? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.taskColumns) FROM task WHERE input = ?", arguments: [input])
                .map(storedTask)
        }
    }

    public func results(ofTask id: Int64) throws -> [StoredResultRow] {
        try read { db in try resultRows(try db.makeStatement(sql: Self.resultsOfTask), task: id) }
    }

    public func release(_ task: ClaimedTask) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                UPDATE task SET state = 'queued', attempts = max(0, attempts - 1), owner = NULL, started = NULL
                WHERE id = ? AND owner = ? AND state = 'running'
                """, arguments: [task.id, task.owner])
            return db.changesCount == 1
        }
    }

    public func remove(input: String) throws -> Bool {
        try write { db in
            // The result rows go with it (ON DELETE CASCADE; foreign keys are on).
            try db.execute(sql: "DELETE FROM task WHERE input = ?", arguments: [input])
            return db.changesCount == 1
        }
    }

    public func ended(before cutoff: Double) throws -> [StoredTask] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.taskColumns) FROM task WHERE state IN ('done', 'failed', 'parked')
                AND coalesce(finished, started, created) < ? ORDER BY id
                """, arguments: [cutoff]).map(storedTask)
        }
    }
}

/// Reads a text file line by line in 64 KiB pieces (a long video's result lines never sit in memory together).
public final class LineReader {
    private let handle: FileHandle
    private var pending = Data()
    private var ended = false

    public init(url: URL) throws { handle = try FileHandle(forReadingFrom: url) }
    deinit { try? handle.close() }

    /// The next non-empty line, or nil at the end of the file.
    public func next() throws -> Substring? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.isEmpty { continue }
                return Substring(line)
            }
            if ended {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return Substring(String(decoding: pending, as: UTF8.self))
            }
            if let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                pending.append(chunk)
            } else {
                ended = true
            }
        }
    }

    static func forEachLine(in url: URL, _ body: (Substring) throws -> Void) throws {
        let reader = try LineReader(url: url)
        while let line = try reader.next() { try body(line) }
    }
}
