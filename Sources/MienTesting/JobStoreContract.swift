import Foundation
import MienStore
import XCTest

/// Checks every `JobStore` implementation must pass the same way (the SQLite run file and PostgreSQL run them).
public enum JobStoreContract {
    /// The one-task-at-a-time calls the server's video jobs use: look-up by input, result rows of one task, release
    /// on a graceful stop (the attempt not counted, a stale holder refused), removal with the rows, and the ended
    /// tasks retention deletes. `store` must be empty.
    public static func checkOneTaskAtATime(_ store: any JobStore, file: StaticString = #filePath,
                                           line: UInt = #line) throws {
        let manifest = RunManifest(fingerprint: "contract", options: "{}", models: "m", expressionClasses: nil)
        let before = Date().timeIntervalSince1970 - 1
        for name in ["a", "b", "c"] {
            _ = try store.prepare(manifest, tasks: [NewTask(input: "/jobs/\(name)/input", kind: .video, key: name)])
        }
        XCTAssertNil(try store.task(input: "/jobs/none/input"), file: file, line: line)
        let queued = try XCTUnwrap(try store.task(input: "/jobs/a/input"), file: file, line: line)
        XCTAssertEqual(queued.key, "a", file: file, line: line)
        XCTAssertEqual(queued.state, .queued, file: file, line: line)
        XCTAssertGreaterThan(queued.created ?? 0, before, file: file, line: line)

        // A graceful stop releases the task: queued again, the attempt not counted; a stale holder is refused.
        let first = try XCTUnwrap(try store.claim(worker: "server-1"), file: file, line: line)
        XCTAssertEqual(first.key, "a", file: file, line: line)
        XCTAssertEqual(try store.task(input: first.input)?.state, .running, file: file, line: line)
        XCTAssertNotNil(try store.task(input: first.input)?.started, file: file, line: line)
        var stale = first
        stale.owner = "server-0"
        XCTAssertFalse(try store.release(stale), file: file, line: line)
        XCTAssertTrue(try store.release(first), file: file, line: line)
        XCTAssertFalse(try store.release(first), "released once", file: file, line: line)
        let released = try XCTUnwrap(try store.task(input: first.input), file: file, line: line)
        XCTAssertEqual(released.state, .queued, file: file, line: line)
        XCTAssertEqual(released.attempts, 0, file: file, line: line)

        // Done with its rows; failed; one left queued.
        let again = try XCTUnwrap(try store.claim(worker: "server-2"), file: file, line: line)
        XCTAssertEqual(again.attempt, 1, "the released attempt did not count", file: file, line: line)
        let rows = [ResultRow(kind: "video-summary", json: "{\"framesAnalysed\":3}"),
                    ResultRow(kind: "note", json: "{}")]
        XCTAssertTrue(try store.complete(again, rows: .documents(rows), seconds: 1), file: file, line: line)
        let done = try XCTUnwrap(try store.task(input: again.input), file: file, line: line)
        XCTAssertEqual(done.state, .done, file: file, line: line)
        XCTAssertEqual(try store.results(ofTask: done.id).map(\.kind), ["video-summary", "note"], file: file, line: line)
        XCTAssertEqual(try store.results(ofTask: done.id).first?.json, rows[0].json, file: file, line: line)
        // PostgreSQL retries a failed task until its attempts run out; the run file fails it at once.
        for _ in 0..<5 where try store.task(input: "/jobs/b/input")?.state == .queued {
            let second = try XCTUnwrap(try store.claim(worker: "server-2"), file: file, line: line)
            XCTAssertEqual(second.key, "b", file: file, line: line)
            try store.fail(second, reason: "bad video", seconds: 1)
        }
        XCTAssertEqual(try store.task(input: "/jobs/b/input")?.lastError, "bad video", file: file, line: line)

        // Retention sees the ended tasks (done, failed), not the queued one.
        let now = Date().timeIntervalSince1970 + 1
        XCTAssertEqual(Set(try store.ended(before: now).map(\.key)), ["a", "b"], file: file, line: line)
        XCTAssertEqual(try store.ended(before: before).count, 0, file: file, line: line)

        // Removal takes the result rows with the task.
        XCTAssertTrue(try store.remove(input: done.input), file: file, line: line)
        XCTAssertFalse(try store.remove(input: done.input), file: file, line: line)
        XCTAssertNil(try store.task(input: done.input), file: file, line: line)
        XCTAssertEqual(try store.results(ofTask: done.id).count, 0, file: file, line: line)
        XCTAssertEqual(try store.counts().resultRows, 0, file: file, line: line)
        XCTAssertEqual(try store.counts().total, 2, file: file, line: line)
    }
}
