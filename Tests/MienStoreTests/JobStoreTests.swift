import Foundation
import GRDB
import MienTesting
import XCTest
@testable import MienStore

/// The SQLite job store on its own: states, guarded completion, recovery, schema checks, the run lock, merging.
final class JobStoreTests: XCTestCase {
    var home: TemporaryHome!
    var runFile: URL { home.url.appendingPathComponent("run.sqlite") }

    override func setUpWithError() throws { home = try TemporaryHome() }
    override func tearDown() { home = nil }

    let manifest = RunManifest(fingerprint: "fp-1", options: "{}", models: "expression=test", expressionClasses: ["a", "b"])

    func tasks(_ n: Int, prefix: String = "/corpus/img") -> [NewTask] {
        (0..<n).map { NewTask(input: "\(prefix)\($0).png", kind: .image, key: "key-\($0)") }
    }

    func testOneTaskAtATimeForTheServersVideoJobs() throws {
        try JobStoreContract.checkOneTaskAtATime(try SQLiteJobStore(url: runFile, exclusive: true))
    }

    func testTasksAreWrittenQueuedAndCompletedExactlyOnce() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        let summary = try store.prepare(manifest, tasks: tasks(3))
        XCTAssertEqual(summary.added, 3)
        XCTAssertEqual(try store.counts().queued, 3)

        let task = try XCTUnwrap(try store.claim(worker: "w1"))
        XCTAssertEqual(task.attempt, 1)
        XCTAssertEqual(try store.counts().running, 1)
        XCTAssertTrue(try store.complete(task, rows: .documents([ResultRow(kind: "image", json: "{\"x\":1}")]), seconds: 0.1))
        // A second completion of the same claim is refused and writes nothing.
        XCTAssertFalse(try store.complete(task, rows: .documents([ResultRow(kind: "image", json: "{\"x\":2}")]), seconds: 0.1))
        let counts = try store.counts()
        XCTAssertEqual(counts.done, 1)
        XCTAssertEqual(counts.resultRows, 1)

        // The same inputs prepared again: nothing added, the finished one stays finished.
        let again = try store.prepare(manifest, tasks: tasks(3))
        XCTAssertEqual(again.unchanged, 3)
        XCTAssertEqual(try store.counts().done, 1)
    }

    func testChangedContentRequeuesTheInputAndDropsItsOldResult() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: tasks(1))
        let task = try XCTUnwrap(try store.claim(worker: "w"))
        try store.complete(task, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0)
        var changed = tasks(1)
        changed[0].key = "key-new"
        XCTAssertEqual(try store.prepare(manifest, tasks: changed).changed, 1)
        let counts = try store.counts()
        XCTAssertEqual(counts.queued, 1)
        XCTAssertEqual(counts.resultRows, 0)
    }

    func testInterruptedTasksAreQueuedAgainThenParked() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: tasks(1))
        for attempt in 1...3 {
            let task = try XCTUnwrap(try store.claim(worker: "w"))
            XCTAssertEqual(task.attempt, attempt)
            XCTAssertEqual(try store.recoverInterrupted(maxAttempts: 3), 1)
        }
        let counts = try store.counts()
        XCTAssertEqual(counts.parked, 1)
        XCTAssertEqual(counts.queued, 0)
        let problem = try XCTUnwrap(try store.problems(limit: 5).first)
        XCTAssertTrue(problem.reason.contains("interrupted"), problem.reason)
        XCTAssertNil(try store.claim(worker: "w"))
        XCTAssertEqual(try store.retryFailed(), 1)
        XCTAssertNotNil(try store.claim(worker: "w"))
    }

    func testACompletionAfterTheTaskWasRecoveredIsRefused() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: tasks(1))
        let stale = try XCTUnwrap(try store.claim(worker: "old"))
        try store.recoverInterrupted(maxAttempts: 5)
        let fresh = try XCTUnwrap(try store.claim(worker: "new"))
        XCTAssertFalse(try store.complete(stale, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0))
        try store.fail(stale, reason: "late", seconds: 0)   // guarded too: changes nothing
        XCTAssertEqual(try store.counts().running, 1)
        XCTAssertTrue(try store.complete(fresh, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0))
        XCTAssertEqual(try store.counts().resultRows, 1)
    }

    func testThreadsClaimEachTaskOnce() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: tasks(200))
        let claimed = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            while let task = try? store.claim(worker: "w\(worker)") {
                claimed.add(task.id)
                _ = try? store.complete(task, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0)
            }
        }
        XCTAssertEqual(claimed.ids.count, 200)
        XCTAssertEqual(Set(claimed.ids).count, 200)
        XCTAssertEqual(try store.counts().resultRows, 200)
    }

    func testALineFileIsReadIntoTheCompletingTransactionAndRemoved() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: [NewTask(input: "/v.mp4", kind: .video, key: "k")])
        let task = try XCTUnwrap(try store.claim(worker: "w"))
        let file = home.url.appendingPathComponent("rows")
        let lines = (0..<5000).map { ResultRow(kind: "video-frame", json: "{\"frame\":\($0)}").line }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        XCTAssertTrue(try store.complete(task, rows: .lineFile(file), seconds: 1))
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))
        var seen: [StoredResultRow] = []
        try store.forEachTask { _, rows in seen = rows }
        XCTAssertEqual(seen.count, 5000)
        XCTAssertEqual(seen.last?.json, "{\"frame\":4999}")
    }

    func testOtherOptionsOnTheSameRunFileAreRefused() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: tasks(1))
        var other = manifest
        other.fingerprint = "fp-2"
        XCTAssertThrowsError(try store.prepare(other, tasks: tasks(1))) { error in
            guard case JobStoreError.runMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testASecondWriterIsRefusedWhileTheFirstHoldsTheRun() throws {
        var first: SQLiteJobStore? = try SQLiteJobStore(url: runFile, exclusive: true)
        XCTAssertThrowsError(try SQLiteJobStore(url: runFile, exclusive: true)) { error in
            guard case JobStoreError.runInUse(_, let holder) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(holder.contains("pid \(getpid())"), holder)
        }
        // Readers are never refused.
        XCTAssertNoThrow(try SQLiteJobStore(url: runFile, exclusive: false).counts())
        XCTAssertNotNil(first)
        first = nil
        XCTAssertNoThrow(try SQLiteJobStore(url: runFile, exclusive: true))
    }

    func testANewerSchemaIsRefused() throws {
        _ = try SQLiteJobStore(url: runFile, exclusive: true)
        let other = try DatabaseQueue(path: runFile.path)
        try other.write { db in try db.execute(sql: "UPDATE mien_store SET schemaVersion = 7") }
        try other.close()
        XCTAssertThrowsError(try SQLiteJobStore(url: runFile, exclusive: true)) { error in
            XCTAssertEqual(error as? JobStoreError, .newerSchema(path: runFile.path, found: 7, supported: 1))
            XCTAssertTrue("\(error)".contains("newer Mien"))
        }
    }

    func testAnUnknownMigrationIsRefused() throws {
        _ = try SQLiteJobStore(url: runFile, exclusive: true)
        let other = try DatabaseQueue(path: runFile.path)
        try other.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('jobs-v9')") }
        try other.close()
        XCTAssertThrowsError(try SQLiteJobStore(url: runFile, exclusive: false)) { error in
            guard case JobStoreError.unknownSchema = error else { return XCTFail("\(error)") }
        }
    }

    func testAnAuditLogGivenAsTheRunFileIsRefusedUntouched() throws {
        _ = try home.makeLog(count: 2)
        XCTAssertThrowsError(try SQLiteJobStore(url: home.auditDB, exclusive: true)) { error in
            guard case JobStoreError.notARunFile(_, let found) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(found.contains("audit_record"), found)
        }
        let verification = try home.openLog().verify()
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.recordCount, 2)
        XCTAssertThrowsError(try SQLiteJobStore(url: home.auditDB, exclusive: false))
    }

    func testShardsMergeIntoOneRun() throws {
        let a = home.url.appendingPathComponent("a.sqlite"), b = home.url.appendingPathComponent("b.sqlite")
        for (file, range) in [(a, 0..<3), (b, 3..<6)] {
            let store = try SQLiteJobStore(url: file, exclusive: true)
            _ = try store.prepare(manifest, tasks: Array(tasks(6)[range]))
            while let t = try store.claim(worker: "w") {
                if t.input.hasSuffix("4.png") {
                    try store.fail(t, reason: "broken", seconds: 0)
                } else {
                    try store.complete(t, rows: .documents([ResultRow(kind: "image", json: "{\"i\":\"\(t.input)\"}")]), seconds: 0)
                }
            }
        }
        let merged = try SQLiteJobStore(url: runFile, exclusive: true)
        XCTAssertEqual(try merged.merge(from: SQLiteJobStore(url: a, exclusive: false)).copied, 3)
        XCTAssertEqual(try merged.merge(from: SQLiteJobStore(url: b, exclusive: false)).copied, 3)
        // Merging a shard twice adds nothing.
        XCTAssertEqual(try merged.merge(from: SQLiteJobStore(url: b, exclusive: false)).duplicates, 3)
        let counts = try merged.counts()
        XCTAssertEqual(counts.done, 5)
        XCTAssertEqual(counts.failed, 1)
        XCTAssertEqual(counts.resultRows, 5)
        XCTAssertEqual(try merged.manifest(), manifest)
    }
}

/// @unchecked Sendable: `ids` is only touched under `lock`.
final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int64] = []
    func add(_ id: Int64) { lock.withLock { stored.append(id) } }
    var ids: [Int64] { lock.withLock { stored } }
}
