import Foundation
import MienStore
import MienTesting
import XCTest

/// The run file's disk fills up mid-run: `mien batch` stops with a reason a person can act on, the run file stays
/// sound with every finished task finished once, and once space is freed the same command finishes the run with the
/// results of an uninterrupted one.
final class BatchFullDiskTests: XCTestCase {
    func testAFullDiskStopsTheRunWithAReasonAndTheResumeFinishesIt() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else {
            throw XCTSkip("a small disk for the run file needs root (mount -t tmpfs)")
        }
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try BatchSupport.writeFER2013(150, into: corpus)

        let reference = root.appendingPathComponent("reference.sqlite")
        let whole = try TestSupport.run(["batch", corpus.path, "--out", reference.path, "--jobs", "2", "--quiet"],
                                        home: root, timeout: 600)
        XCTAssertEqual(whole.status, 0, whole.output)
        let referenceBytes = try FileManager.default.attributesOfItem(atPath: reference.path)[.size] as? Int ?? 0

        let disk = root.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard system("mount -t tmpfs -o size=16m tmpfs '\(disk.path)' 2>/dev/null") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here")
        }
        defer { _ = system("umount '\(disk.path)'") }
        let available = try XCTUnwrap(try FileManager.default.attributesOfFileSystem(forPath: disk.path)[.systemFreeSize]
                                      as? Int)
        let filler = disk.appendingPathComponent("filler")
        // Leave room for what the run file holds at the end: its write-ahead log needs more on the way, so the
        // disk fills part of the way through.
        try Data(count: max(0, available - referenceBytes)).write(to: filler)

        let runFile = disk.appendingPathComponent("run.sqlite")
        let arguments = ["batch", corpus.path, "--out", runFile.path, "--jobs", "2", "--quiet"]
        let full = try TestSupport.run(arguments, home: root, timeout: 600)
        XCTAssertNotEqual(full.status, 0, "the run cannot have finished on a full disk")
        XCTAssertTrue(full.output.lowercased().contains("full"), "the reason names the full disk: \(full.output)")
        XCTAssertFalse(full.output.contains("Fatal error"), full.output)
        XCTAssertTrue(full.output.contains("Free disk space"), "it says what to do: \(full.output)")
        XCTAssertFalse(full.output.contains(".."), full.output)
        let stopped = try SQLiteJobStore(url: runFile, exclusive: false).counts()
        print("full disk: \(stopped.done) of 150 done when the disk filled; said: \(full.output.suffix(300))")
        XCTAssertLessThan(stopped.done, 150)
        XCTAssertEqual(stopped.resultRows, stopped.done, "every finished task has its one result, none half-written")

        let finishedBefore = try BatchSupport.finishedTasks(runFile)

        try FileManager.default.removeItem(at: filler)
        let resumed = try TestSupport.run(arguments, home: root, timeout: 600)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let counts = try SQLiteJobStore(url: runFile, exclusive: false).counts()
        XCTAssertEqual(counts.done, 150)
        XCTAssertEqual(counts.resultRows, 150)
        let finished = try BatchSupport.finishedTasks(runFile)
        for (input, task) in finishedBefore {
            XCTAssertEqual(finished[input], task, "\(input) was computed again after it had finished")
        }
        let a = root.appendingPathComponent("a.csv"), b = root.appendingPathComponent("b.csv")
        XCTAssertEqual(try TestSupport.run(["batch", "export", reference.path, "--csv", a.path], home: root).status, 0)
        XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--csv", b.path], home: root).status, 0)
        XCTAssertEqual(try String(contentsOf: a, encoding: .utf8), try String(contentsOf: b, encoding: .utf8))
    }
}
