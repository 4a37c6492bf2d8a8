import Foundation
import GRDB

/// One uploaded video of `mien serve` and what became of it. The upload and the outputs are files in the job's
/// folder; the row says where the job stands, so a restarted server knows every job it had.
public struct VideoJob: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "video_jobs"

    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, running, done, failed
    }

    public var id: String
    public var state: State
    /// The API key's name (or the local actor) that uploaded it; only that actor may read or delete it.
    public var actor: String
    public var purpose: String
    public var measuresOnly: Bool
    /// The job's folder: `input` (the upload) and the outputs (`frames.jsonl`, `frames.csv`, `report.html`).
    public var folder: String
    public var created: Double
    public var updated: Double
    public var framesAnalysed: Int
    public var framesExpected: Int
    /// How many times a run was started (a restart mid-run starts it again, once).
    public var attempts: Int
    /// Why it failed, in words a person can act on; nil unless `state == .failed`.
    public var failure: String?

    public init(id: String, state: State, actor: String, purpose: String, measuresOnly: Bool, folder: String,
                created: Double, updated: Double, framesAnalysed: Int, framesExpected: Int, attempts: Int,
                failure: String?) {
        self.id = id
        self.state = state
        self.actor = actor
        self.purpose = purpose
        self.measuresOnly = measuresOnly
        self.folder = folder
        self.created = created
        self.updated = updated
        self.framesAnalysed = framesAnalysed
        self.framesExpected = framesExpected
        self.attempts = attempts
        self.failure = failure
    }
}

/// The video jobs of `mien serve` in SQLite (`videos.sqlite` by default). Every change is one transaction, on disk
/// when the call returns.
public final class VideoJobStore: Sendable {
    public let url: URL
    private let queue: DatabaseQueue

    public init(url: URL) throws {
        self.url = url
        queue = try StoreDatabase.open(url, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("video-jobs-v1") { db in
            try db.create(table: VideoJob.databaseTableName) { t in
                t.column("id", .text).primaryKey()
                t.column("state", .text).notNull().indexed()
                t.column("actor", .text).notNull()
                t.column("purpose", .text).notNull()
                t.column("measuresOnly", .boolean).notNull()
                t.column("folder", .text).notNull()
                t.column("created", .double).notNull()
                t.column("updated", .double).notNull()
                t.column("framesAnalysed", .integer).notNull()
                t.column("framesExpected", .integer).notNull()
                t.column("attempts", .integer).notNull()
                t.column("failure", .text)
            }
        }
        return migrator
    }

    public func insert(_ job: VideoJob) throws {
        try queue.write { db in try job.insert(db) }
    }

    public func job(id: String) throws -> VideoJob? {
        try queue.read { db in try VideoJob.fetchOne(db, key: id) }
    }

    /// The oldest queued job, marked running (attempts + 1) in the same transaction; nil when none waits.
    public func claimNext(now: Date = Date()) throws -> VideoJob? {
        try queue.write { db in
            guard var job = try VideoJob.filter(Column("state") == VideoJob.State.queued.rawValue)
                .order(Column("created"), Column("id")).fetchOne(db) else { return nil }
            job.state = .running
            job.attempts += 1
            job.updated = now.timeIntervalSince1970
            try job.update(db)
            return job
        }
    }

    public func progress(id: String, analysed: Int, expected: Int, now: Date = Date()) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE video_jobs SET framesAnalysed = ?, framesExpected = ?, updated = ? WHERE id = ?",
                           arguments: [analysed, expected, now.timeIntervalSince1970, id])
        }
    }

    public func finish(id: String, failure: String?, now: Date = Date()) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE video_jobs SET state = ?, failure = ?, updated = ? WHERE id = ?",
                           arguments: [(failure == nil ? VideoJob.State.done : .failed).rawValue, failure,
                                       now.timeIntervalSince1970, id])
        }
    }

    /// Puts a job stopped by a graceful shutdown back in the queue; the stopped run does not count as an attempt.
    public func requeue(id: String, now: Date = Date()) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE video_jobs SET state = ?, attempts = max(0, attempts - 1), framesAnalysed = 0, "
                           + "updated = ? WHERE id = ? AND state = ?",
                           arguments: [VideoJob.State.queued.rawValue, now.timeIntervalSince1970, id,
                                       VideoJob.State.running.rawValue])
        }
    }

    /// Jobs that ended (done or failed) before `cutoff`, for retention.
    public func ended(before cutoff: Date) throws -> [VideoJob] {
        try queue.read { db in
            try VideoJob.filter([VideoJob.State.done.rawValue, VideoJob.State.failed.rawValue].contains(Column("state")))
                .filter(Column("updated") < cutoff.timeIntervalSince1970).fetchAll(db)
        }
    }

    @discardableResult
    public func delete(id: String) throws -> Bool {
        try queue.write { db in try VideoJob.deleteOne(db, key: id) }
    }

    public func count(in states: [VideoJob.State]) throws -> Int {
        try queue.read { db in
            try VideoJob.filter(states.map(\.rawValue).contains(Column("state"))).fetchCount(db)
        }
    }

    /// At start-up: jobs a stopped server left `running` go back to the queue once; a job that was already
    /// started twice fails with the reason (it may be what stops the server). Returns (requeued, failed) ids.
    public func recoverInterrupted(maxAttempts: Int = 2, now: Date = Date()) throws -> (requeued: [String], failed: [String]) {
        try queue.write { db in
            var requeued: [String] = [], failed: [String] = []
            for var job in try VideoJob.filter(Column("state") == VideoJob.State.running.rawValue).fetchAll(db) {
                job.updated = now.timeIntervalSince1970
                job.framesAnalysed = 0
                if job.attempts >= maxAttempts {
                    job.state = .failed
                    job.failure = "the server stopped \(job.attempts) times while analysing this video; it is not "
                        + "started again. Check the server log, then upload the video again (or a shorter part of it)."
                    failed.append(job.id)
                } else {
                    job.state = .queued
                    requeued.append(job.id)
                }
                try job.update(db)
            }
            return (requeued, failed)
        }
    }
}
