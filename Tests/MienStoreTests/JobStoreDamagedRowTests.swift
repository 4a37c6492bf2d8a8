import Foundation
import GRDB
import XCTest
@testable import MienStore

/// A run file edited outside Mien: NULLs where Mien always writes a value (possible once a table is rewritten without
/// its NOT NULL constraints) and values of another type (possible in any SQLite column). GRDB's row subscripts stop
/// the process on both; every read of the job store answers with `JobStoreError.damagedRow` instead, naming the
/// table, the row and the column. The CLI side (`mien batch status`, a resumed `mien batch`) is tested in
/// MienTests.BatchDamagedRunFileTests.
final class JobStoreDamagedRowTests: XCTestCase {
    var home: TemporaryHome!
    var runFile: URL { home.url.appendingPathComponent("run.sqlite") }

    override func setUpWithError() throws { home = try TemporaryHome() }
    override func tearDown() { home = nil }

    let manifest = RunManifest(fingerprint: "fp-1", options: "{}", models: "expression=test", expressionClasses: ["a"])
    let newTasks = (0..<3).map { NewTask(input: "/corpus/img\($0).png", kind: .image, key: "key-\($0)") }

    /// A closed run of three tasks: img0 done with one result row, img1 failed, img2 queued.
    func makeRun() throws {
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        _ = try store.prepare(manifest, tasks: newTasks)
        let done = try XCTUnwrap(try store.claim(worker: "w"))
        XCTAssertTrue(try store.complete(done, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0))
        let failed = try XCTUnwrap(try store.claim(worker: "w"))
        try store.fail(failed, reason: "not an image", seconds: 0)
    }

    /// Plain SQL on a connection of its own, the way sqlite3 would edit the file.
    func edit(_ sql: String) throws {
        let editor = try DatabaseQueue(path: runFile.path)
        try editor.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try editor.close()
    }

    /// The task table again, with the same columns and no constraints (foreign keys off and the legacy ALTER TABLE,
    /// so that the result table's reference still names `task`).
    static let taskWithoutConstraints = """
        PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;
        ALTER TABLE task RENAME TO original;
        CREATE TABLE task (id INTEGER PRIMARY KEY AUTOINCREMENT, input, kind, key, state, priority, attempts, owner,
            leaseExpires, lastError, created, started, finished, seconds);
        INSERT INTO task SELECT * FROM original;
        DROP TABLE original;
        """

    static let runWithoutConstraints = """
        ALTER TABLE run RENAME TO original;
        CREATE TABLE run (id INTEGER PRIMARY KEY, fingerprint, options, models, expressionClasses, created);
        INSERT INTO run SELECT * FROM original;
        DROP TABLE original;
        """

    func assertDamaged<T>(_ expression: @autoclosure () throws -> T, table: String, column: String,
                          _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), what, file: file, line: line) { error in
            guard case JobStoreError.damagedRow(let path, let t, _, let c, _) = error else {
                return XCTFail("\(what): \(error)", file: file, line: line)
            }
            XCTAssertEqual(path, runFile.path, what, file: file, line: line)
            XCTAssertEqual(t, table, what, file: file, line: line)
            XCTAssertEqual(c, column, what, file: file, line: line)
            XCTAssertTrue("\(error)".contains("edited outside Mien"), "\(error)", file: file, line: line)
        }
    }

    func testANullKeyIsATypedErrorForResumeExportAndClaim() throws {
        try makeRun()
        try edit(Self.taskWithoutConstraints + "UPDATE task SET key = NULL;")
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        assertDamaged(try store.prepare(manifest, tasks: newTasks), table: "task", column: "key", "prepare")
        assertDamaged(try store.forEachTask { _, _ in }, table: "task", column: "key", "forEachTask")
        assertDamaged(try store.claim(worker: "w"), table: "task", column: "key", "claim")
        XCTAssertEqual(try store.counts().total, 3, "counts do not read the key")
    }

    func testANullInputOrStateIsATypedErrorForStatus() throws {
        try makeRun()
        try edit(Self.taskWithoutConstraints + "UPDATE task SET input = NULL WHERE state = 'failed';")
        let store = try SQLiteJobStore(url: runFile, exclusive: false)
        assertDamaged(try store.problems(limit: 20), table: "task", column: "input", "problems")
        try edit("UPDATE task SET input = '/corpus/img1.png', state = NULL WHERE id = 2")
        XCTAssertEqual(try store.problems(limit: 20), [], "a task without a state is not listed as failed")
        assertDamaged(try store.forEachTask { _, _ in }, table: "task", column: "state", "forEachTask")
    }

    func testTextWhereANumberBelongsIsATypedErrorWithoutChangingTheSchema() throws {
        try makeRun()
        try edit("UPDATE task SET attempts = 'many'")
        let store = try SQLiteJobStore(url: runFile, exclusive: false)
        assertDamaged(try store.problems(limit: 20), table: "task", column: "attempts", "problems")
        assertDamaged(try store.forEachTask { _, _ in }, table: "task", column: "attempts", "forEachTask")
        assertDamaged(try store.claim(worker: "w"), table: "task", column: "attempts", "claim")
    }

    func testAnAttemptCountAtIntMaxIsATypedErrorNotAnOverflow() throws {
        try makeRun()
        try edit("UPDATE task SET attempts = 9223372036854775807 WHERE state = 'queued'")
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        assertDamaged(try store.claim(worker: "w"), table: "task", column: "attempts", "claim")
    }

    func testAResultPayloadThatIsNotTextIsATypedError() throws {
        try makeRun()
        try edit("UPDATE result SET payload = x'ff00fe'")
        let store = try SQLiteJobStore(url: runFile, exclusive: false)
        assertDamaged(try store.forEachTask { _, _ in }, table: "result", column: "payload", "forEachTask")
    }

    func testADamagedRunRowIsATypedErrorForTheManifest() throws {
        try makeRun()
        try edit(Self.runWithoutConstraints + "UPDATE run SET fingerprint = NULL;")
        let store = try SQLiteJobStore(url: runFile, exclusive: true)
        assertDamaged(try store.manifest(), table: "run", column: "fingerprint", "manifest")
        assertDamaged(try store.prepare(manifest, tasks: newTasks), table: "run", column: "fingerprint", "prepare")
        try edit("UPDATE run SET fingerprint = 'fp-1', expressionClasses = 'not json'")
        assertDamaged(try store.manifest(), table: "run", column: "expressionClasses", "manifest")
    }

    func testAStoreRowOfTheWrongTypeIsATypedErrorWhenOpening() throws {
        try makeRun()
        try edit("UPDATE mien_store SET kind = x'ff'")
        assertDamaged(try SQLiteJobStore(url: runFile, exclusive: false), table: "mien_store", column: "kind", "open")
    }
}
