import Foundation
import GRDB
import MienStore
import MienTesting
import XCTest

/// A run file edited outside Mien (sqlite3, GRDB): `mien batch status` and a resumed `mien batch` answer with the
/// typed error naming the table, row and column (exit code 2, like any run file that cannot be used), where GRDB's
/// row subscripts used to stop the process. The store's other reads: MienStoreTests.JobStoreDamagedRowTests.
final class BatchDamagedRunFileTests: XCTestCase {
    func edit(_ runFile: URL, _ sql: String) throws {
        let editor = try DatabaseQueue(path: runFile.path)
        try editor.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try editor.close()
    }

    func testStatusAndResumeAnswerADamagedRunFileWithATypedError() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try Data("not a picture".utf8).write(to: corpus.appendingPathComponent("text.png"))
        try Data().write(to: corpus.appendingPathComponent("empty.jpg"))
        let runFile = root.appendingPathComponent("run.sqlite")
        let arguments = ["batch", corpus.path, "--out", runFile.path, "--jobs", "1", "--quiet"]
        let first = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(first.status, 1, first.output)
        XCTAssertEqual(try TestSupport.run(["batch", "status", runFile.path], home: root).status, 0)

        // Text where a number belongs: no schema change needed.
        try edit(runFile, "UPDATE task SET attempts = 'many' WHERE input LIKE '%text.png'")
        let status = try TestSupport.run(["batch", "status", runFile.path], home: root)
        XCTAssertEqual(status.status, 2, status.output)
        XCTAssertTrue(status.stderr.contains("error: \(runFile.path): the run file's 'task' table, id "), status.stderr)
        XCTAssertTrue(status.stderr.contains("column 'attempts': the text \"many\" where Mien writes an integer"),
                      status.stderr)
        XCTAssertTrue(status.stderr.contains("edited outside Mien"), status.stderr)
        try edit(runFile, "UPDATE task SET attempts = 1")

        // A NULL where a value is required, once the table is rewritten without its constraints.
        try edit(runFile, """
            PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;
            ALTER TABLE task RENAME TO original;
            CREATE TABLE task (id INTEGER PRIMARY KEY AUTOINCREMENT, input, kind, key, state, priority, attempts,
                owner, leaseExpires, lastError, created, started, finished, seconds);
            INSERT INTO task SELECT * FROM original;
            DROP TABLE original;
            UPDATE task SET key = NULL WHERE input LIKE '%empty.jpg';
            """)
        let resumed = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(resumed.status, 2, resumed.output)
        XCTAssertTrue(resumed.stderr.contains("column 'key': NULL where Mien writes text"), resumed.stderr)
        let export = try TestSupport.run(["batch", "export", runFile.path, "--jsonl",
                                          root.appendingPathComponent("out.jsonl").path], home: root)
        XCTAssertEqual(export.status, 2, export.output)
        XCTAssertTrue(export.stderr.contains("column 'key': NULL where Mien writes text"), export.stderr)
        // status does not read the key: it still answers.
        XCTAssertEqual(try TestSupport.run(["batch", "status", runFile.path], home: root).status, 0)
    }

    /// A damaged row that opening and preparing do not read, met only when a worker claims the task: the run ends
    /// with the typed error and exit code 2 (the file cannot be used), as when opening refuses it. It ended with
    /// exit code 1 (the code for failed tasks) and "a worker stopped: ..." before.
    func testADamagedRowMetWhileClaimingExitsTwo() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try Data("not a picture".utf8).write(to: corpus.appendingPathComponent("text.png"))
        let runFile = root.appendingPathComponent("run.sqlite")
        let arguments = ["batch", corpus.path, "--out", runFile.path, "--jobs", "1", "--quiet"]
        let first = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(first.status, 1, first.output)

        // The failed task queued again with text where its attempt count belongs: only `claim` reads that column.
        try edit(runFile, "UPDATE task SET state = 'queued', attempts = 'many' WHERE input LIKE '%text.png'")
        let resumed = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(resumed.status, 2, resumed.output)
        XCTAssertTrue(resumed.stderr.contains("error: \(runFile.path): the run file's 'task' table, id "), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("column 'attempts': the text \"many\" where Mien writes an integer"),
                      resumed.stderr)
        XCTAssertFalse(resumed.stderr.contains("a worker stopped"), resumed.stderr)
        // Nothing was claimed: the task is still queued with the edited value.
        let queue = try DatabaseQueue(path: runFile.path)
        let state = try queue.read { db in
            try String.fetchOne(db, sql: "SELECT state || ' ' || attempts FROM task WHERE input LIKE '%text.png'")
        }
        try queue.close()
        XCTAssertEqual(state, "queued many")
    }
}
