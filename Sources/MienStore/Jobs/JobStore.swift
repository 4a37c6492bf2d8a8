import Foundation

/// Where a corpus run keeps its tasks and results: the SQLite run file of `mien batch` (`SQLiteJobStore`), and
/// later PostgreSQL for scale-out. Tasks are written before any starts; a task moves
/// queued → running → done | failed | parked, and its result rows are written in the same transaction that marks
/// it done, guarded by its owner, so a result is written exactly once (docs/BATCH.md).
public protocol JobStore: Sendable {
    /// Records the run's manifest on first use, or checks it against the stored one (a run file belongs to one set
    /// of options and models), then adds or refreshes `tasks` in one transaction. An input whose key changed (its
    /// content changed) is queued again and its old result removed; unchanged inputs keep their state.
    func prepare(_ manifest: RunManifest, tasks: [NewTask]) throws -> PrepareSummary

    /// Tasks left `running` by a process that ended without finishing them go back to `queued`, or to `parked`
    /// once they have been started `maxAttempts` times (an input that kills the process must not loop forever).
    /// Only call it while no other process works on the run (the SQLite store holds the run lock).
    @discardableResult
    func recoverInterrupted(maxAttempts: Int) throws -> Int

    /// Marks the next queued task running for `worker` (attempt + 1), committed before this returns.
    func claim(worker: String) throws -> ClaimedTask?

    /// Writes the result rows and marks the task done in one transaction, only while `task` is still running and
    /// owned by the same worker; returns false (and writes nothing) otherwise.
    @discardableResult
    func complete(_ task: ClaimedTask, rows: ResultRows, seconds: Double) throws -> Bool

    /// Marks the task failed with `reason` (guarded like `complete`).
    func fail(_ task: ClaimedTask, reason: String, seconds: Double) throws

    /// Queues every failed and parked task again; returns how many.
    func retryFailed() throws -> Int

    func manifest() throws -> RunManifest?
    func counts() throws -> TaskCounts
    /// Failed and parked tasks with their reasons, in input order.
    func problems(limit: Int) throws -> [TaskProblem]

    /// Every task in input order with its result rows, read through a cursor (memory stays flat).
    func forEachTask(_ body: (StoredTask, _ rows: [StoredResultRow]) throws -> Void) throws

    /// Seconds a claim holds before another worker may take it over, renewed by `renew`; nil when claims do not
    /// expire (the SQLite run file: one process at a time, interrupted tasks recovered at start).
    var leaseSeconds: Double? { get }

    /// Extends the lease of a task still held; false when it was taken over (its completion will be refused).
    func renew(_ task: ClaimedTask) throws -> Bool

    /// True when other processes work on the same tasks: a worker that finds the queue empty waits for tasks still
    /// running elsewhere (their leases may expire and come back) instead of ending.
    var isShared: Bool { get }

    // MARK: One task at a time (the server's video jobs: each upload is a task, looked up by its input path)

    /// The task of `input`, or nil when there is none.
    func task(input: String) throws -> StoredTask?

    /// The result rows of one task, in order.
    func results(ofTask id: Int64) throws -> [StoredResultRow]

    /// Puts a task its worker stops on purpose (a graceful shutdown) back in the queue, guarded like `complete`; the
    /// stopped attempt does not count. False when the task was no longer held by `task.owner`.
    @discardableResult
    func release(_ task: ClaimedTask) throws -> Bool

    /// Deletes the task of `input` with its result rows; false when there was none.
    @discardableResult
    func remove(input: String) throws -> Bool

    /// Tasks that ended (done, failed or parked) before `cutoff` (seconds since 1970), for retention.
    func ended(before cutoff: Double) throws -> [StoredTask]
}

extension JobStore {
    public var leaseSeconds: Double? { nil }
    public func renew(_ task: ClaimedTask) throws -> Bool { true }
    public var isShared: Bool { false }
}

/// The options and models a run was made with. A run file keeps one; re-running with other options is refused.
public struct RunManifest: Sendable, Codable, Hashable {
    /// SHA-256 of everything below that changes results: part of every task key.
    public var fingerprint: String
    /// The options as JSON, for people and for `status`.
    public var options: String
    /// Model names and versions, e.g. "expression=mien-ferplus-1.1.0; voice=…".
    public var models: String
    /// The expression classes of the CSV columns; nil when expressions are not produced.
    public var expressionClasses: [String]?
    public var created: Double

    public init(fingerprint: String, options: String, models: String, expressionClasses: [String]?,
                created: Double = Date().timeIntervalSince1970) {
        self.fingerprint = fingerprint
        self.options = options
        self.models = models
        self.expressionClasses = expressionClasses
        self.created = created
    }
}

public enum MediaKind: String, Sendable, Codable, CaseIterable {
    case image, video, audio

    /// Lower is claimed first: a long video started last would leave the other cores idle at the end of a run.
    public var claimPriority: Int {
        switch self {
        case .video: return 0
        case .audio: return 1
        case .image: return 2
        }
    }
}

public enum TaskState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, parked
}

/// A task to add: one input file, keyed by its content digest + model versions + options.
public struct NewTask: Sendable, Hashable {
    public var input: String
    public var kind: MediaKind
    public var key: String

    public init(input: String, kind: MediaKind, key: String) {
        self.input = input
        self.kind = kind
        self.key = key
    }
}

public struct PrepareSummary: Sendable, Hashable {
    public var added = 0
    /// Inputs whose content changed since the run file saw them: queued again.
    public var changed = 0
    public var unchanged = 0
    public init() {}
}

/// A task a worker holds: complete or fail it with this value (it carries the owner and attempt).
public struct ClaimedTask: Sendable, Hashable {
    public var id: Int64
    public var input: String
    public var kind: MediaKind
    public var key: String
    public var attempt: Int
    public var owner: String

    public init(id: Int64, input: String, kind: MediaKind, key: String, attempt: Int, owner: String) {
        self.id = id
        self.input = input
        self.kind = kind
        self.key = key
        self.attempt = attempt
        self.owner = owner
    }
}

/// The result of one task: JSON documents, one per row (one per image, one per video frame plus the summary).
/// Long videos stream their rows to a file first, so a task's rows never have to fit in memory.
public enum ResultRows: Sendable {
    case documents([ResultRow])
    /// A file of lines `<kind>\t<json>`, read line by line inside the completing transaction, then deleted.
    case lineFile(URL)
}

public struct ResultRow: Sendable, Hashable {
    /// "image", "video-frame", "video-summary", "voice".
    public var kind: String
    public var json: String

    public init(kind: String, json: String) {
        self.kind = kind
        self.json = json
    }

    /// The line form of `ResultRows.lineFile`.
    public var line: String { kind + "\t" + json }

    public init?(line: Substring) {
        guard let tab = line.firstIndex(of: "\t") else { return nil }
        kind = String(line[..<tab])
        json = String(line[line.index(after: tab)...])
    }
}

public struct StoredTask: Sendable, Hashable {
    public var id: Int64
    public var input: String
    public var kind: MediaKind
    public var key: String
    public var state: TaskState
    public var attempts: Int
    public var lastError: String?
    public var finished: Double?
    /// When the task was added, and when its last attempt started (seconds since 1970).
    public var created: Double?
    public var started: Double?

    public init(id: Int64, input: String, kind: MediaKind, key: String, state: TaskState, attempts: Int,
                lastError: String?, finished: Double?, created: Double? = nil, started: Double? = nil) {
        self.id = id
        self.input = input
        self.kind = kind
        self.key = key
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.finished = finished
        self.created = created
        self.started = started
    }
}

public struct StoredResultRow: Sendable, Hashable {
    public var seq: Int
    public var kind: String
    public var json: String

    public init(seq: Int, kind: String, json: String) {
        self.seq = seq
        self.kind = kind
        self.json = json
    }
}

public struct TaskCounts: Sendable, Hashable, Codable {
    public var queued = 0, running = 0, done = 0, failed = 0, parked = 0
    /// Attempts started over the run's life (a task redone after an interruption counts twice).
    public var attempts = 0
    public var resultRows = 0
    public var total: Int { queued + running + done + failed + parked }
    public init() {}
}

public struct TaskProblem: Sendable, Hashable {
    public var input: String
    public var state: TaskState
    public var attempts: Int
    public var reason: String

    public init(input: String, state: TaskState, attempts: Int, reason: String) {
        self.input = input
        self.state = state
        self.attempts = attempts
        self.reason = reason
    }
}

public enum JobStoreError: Error, Sendable, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notARunFile(path: String, found: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case unknownSchema(path: String, detail: String)
    case runInUse(path: String, holder: String)
    case runMismatch(path: String, stored: String, requested: String)
    case writeFailed(path: String, reason: String)
    /// A row Mien cannot have written (a NULL where a value is required, a value of another type): the run file was
    /// edited outside Mien or damaged.
    case damagedRow(path: String, table: String, row: String, column: String, problem: String)
    /// The run file could not be read (SQLite answered with an error while reading).
    case readFailed(path: String, reason: String)

    /// The run file cannot be used as it is (a damaged row, a failed read): `mien batch` and `mien worker` exit 2
    /// for it, as for a file refused when opened, whether it is met opening the file or later while claiming.
    public var meansRunFileUnusable: Bool {
        switch self {
        case .damagedRow, .readFailed: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open the run file (\(reason)). Check the folder exists and is writable."
        case .notARunFile(let path, let found):
            return "\(path): not a Mien run file (it holds \(found)). Give a new file name with --out, or the file "
                + "an earlier 'mien batch' wrote."
        case .newerSchema(let path, let found, let supported):
            return "\(path): written by a newer Mien (job schema \(found); this mien knows up to \(supported)). "
                + "Use that Mien version, or start a new run file."
        case .unknownSchema(let path, let detail):
            return "\(path): the run file's schema is not one this Mien knows (\(detail)). Start a new run file."
        case .runInUse(let path, let holder):
            return "\(path): another 'mien batch' is working on this run (\(holder)). Wait for it to end, or stop "
                + "it; re-running afterwards resumes where it stopped."
        case .runMismatch(let path, let stored, let requested):
            return "\(path): this run was made with other options or models (stored: \(stored); now: \(requested)). "
                + "Re-run with the same options to resume, or write a new run file with --out."
        case .writeFailed(let path, let reason):
            return "\(path): writing to the run file failed (\(reason)); the store is unchanged by the failed "
                + "write. Free disk space or check permissions, then re-run to resume."
        case .damagedRow(let path, let table, let row, let column, let problem):
            return "\(path): the run file's '\(table)' table, \(row), column '\(column)': \(problem). The file "
                + "was edited outside Mien or is damaged. Restore it from a copy, correct that row with sqlite3, or start a new "
                + "run file with --out (the corpus is then analysed again)."
        case .readFailed(let path, let reason):
            return "\(path): reading the run file failed (\(reason)). If it was edited outside Mien, restore it from a "
                + "copy or start a new run file with --out."
        }
    }
}
