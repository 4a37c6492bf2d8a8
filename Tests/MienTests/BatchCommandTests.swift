import Foundation
import MienStore
import MienTesting
import XCTest

/// `mien batch` end to end on small corpora: bad inputs, a second process, governance, shards.
final class BatchCommandTests: XCTestCase {
    func testBadInputsBecomeFailedTasksWithReasonsAndTheRunGoesOn() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let good = TestSupport.sample("pexels_18175_angry_closeup.jpg")
        try FileManager.default.copyItem(at: good, to: corpus.appendingPathComponent("good.jpg"))
        let jpeg = try Data(contentsOf: good)
        try jpeg.prefix(jpeg.count / 2).write(to: corpus.appendingPathComponent("truncated.jpg"))
        try Data("not a picture".utf8).write(to: corpus.appendingPathComponent("text.png"))
        try Data().write(to: corpus.appendingPathComponent("empty.jpg"))
        let video = try Data(contentsOf: BatchSupport.sampleVideo)
        try video.prefix(50_000).write(to: corpus.appendingPathComponent("cut.mp4"))
        try Data("hello".utf8).write(to: corpus.appendingPathComponent("sound.wav"))
        let notes = root.appendingPathComponent("notes.txt")
        try Data("x".utf8).write(to: notes)
        let runFile = root.appendingPathComponent("run.sqlite")

        let run = try TestSupport.run(["batch", corpus.path, notes.path, root.appendingPathComponent("gone.jpg").path,
                                       "--out", runFile.path, "--jobs", "2"], home: root)
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stderr.contains("mien batch status"), run.stderr)
        let counts = try SQLiteJobStore(url: runFile, exclusive: false).counts()
        XCTAssertEqual(counts.total, 8)
        XCTAssertEqual(counts.done, 1, "only good.jpg can be analysed")
        XCTAssertEqual(counts.failed, 7)

        let status = try TestSupport.run(["batch", "status", runFile.path], home: root)
        XCTAssertEqual(status.status, 0)
        for name in ["truncated.jpg", "text.png", "empty.jpg", "cut.mp4", "sound.wav", "notes.txt", "gone.jpg"] {
            let line = status.stdout.split(separator: "\n").first { $0.contains(name) }
            XCTAssertNotNil(line, "\(name) not listed: \(status.stdout)")
            XCTAssertGreaterThan(line?.count ?? 0, name.count + 60, "no reason for \(name): \(line ?? "")")
        }

        // retry-failed queues them again; a re-run gives the same reasons and recomputes nothing that was done.
        let retry = try TestSupport.run(["batch", "retry-failed", runFile.path], home: root)
        XCTAssertTrue(retry.stdout.contains("7 task(s) queued again"), retry.output)
        let again = try TestSupport.run(["batch", corpus.path, notes.path, root.appendingPathComponent("gone.jpg").path,
                                         "--out", runFile.path, "--jobs", "2"], home: root)
        XCTAssertEqual(again.status, 1)
        let after = try SQLiteJobStore(url: runFile, exclusive: false).counts()
        XCTAssertEqual(after.done, 1)
        XCTAssertEqual(after.failed, 7)
        XCTAssertEqual(after.attempts, 1 + 7, "good.jpg was not analysed again")
    }

    func testASecondProcessOnTheSameRunFileIsRefusedAndTheFirstFinishes() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let runFile = root.appendingPathComponent("run.sqlite")
        let arguments = ["batch", BatchSupport.sampleVideo.path, TestSupport.samples.path, "--out", runFile.path,
                         "--jobs", "1", "--quiet"]
        let first = try BatchSupport.start(arguments, home: root)
        let lock = runFile.path + "-lock"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && ((try? String(contentsOfFile: lock, encoding: .utf8)) ?? "").isEmpty { usleep(20_000) }
        XCTAssertTrue(first.isRunning, "the first run ended before the second could start")
        let second = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(second.status, 2, second.output)
        XCTAssertTrue(second.stderr.contains("another 'mien batch' is working on this run (pid \(first.processIdentifier)"),
                      second.stderr)
        // Reading is allowed meanwhile.
        XCTAssertEqual(try TestSupport.run(["batch", "status", runFile.path], home: root).status, 0)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try SQLiteJobStore(url: runFile, exclusive: false).counts().done, 5)
    }

    func testAnyOtherFileAsTheRunFileIsRefused() throws {
        let root = try TestSupport.temporaryDirectory(self)
        // An audit log (made by a first analysis) given as --out.
        XCTAssertEqual(try TestSupport.run(["analyze", TestSupport.sample("pexels_18175_angry_closeup.jpg").path],
                                           home: root).status, 0)
        let audit = root.appendingPathComponent("audit.sqlite")
        let run = try TestSupport.run(["batch", TestSupport.samples.path, "--out", audit.path], home: root)
        XCTAssertEqual(run.status, 2, run.output)
        XCTAssertTrue(run.stderr.contains("not a Mien run file"), run.stderr)
        XCTAssertEqual(try TestSupport.run(["audit", "verify"], home: root).status, 0)
    }

    func testPurposeRefusalsAndMeasuresOnlyApplyToEveryTask() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let runFile = root.appendingPathComponent("run.sqlite")
        let refused = try TestSupport.run(["batch", TestSupport.samples.path, "--out", runFile.path, "--purpose", "workplace"],
                                          home: root)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("5(1)(f)") || refused.output.lowercased().contains("workplace"), refused.output)
        let counts = try? SQLiteJobStore(url: runFile, exclusive: false).counts()
        XCTAssertEqual(counts?.attempts ?? 0, 0, "no task may start under a refused purpose")

        let measured = root.appendingPathComponent("measures.sqlite")
        let run = try TestSupport.run(["batch", TestSupport.samples.path, "--out", measured.path, "--purpose", "workplace",
                                       "--measures-only", "--quiet"], home: root)
        XCTAssertEqual(run.status, 0, run.output)
        let csv = root.appendingPathComponent("m.csv"), jsonl = root.appendingPathComponent("m.jsonl")
        XCTAssertEqual(try TestSupport.run(["batch", "export", measured.path, "--csv", csv.path, "--jsonl", jsonl.path],
                                           home: root).status, 0)
        let header = try String(contentsOf: csv, encoding: .utf8).prefix { $0 != "\n" }
        XCTAssertTrue(header.hasPrefix("input,media,frame,timestamp,track_id"), String(header))
        XCTAssertFalse(header.contains("expr_label"))
        XCTAssertFalse(try String(contentsOf: jsonl, encoding: .utf8).contains("\"expression\""))
        // One audit record per analysed input (4 photos + 1 video), each under the declared purpose.
        let export = root.appendingPathComponent("audit.jsonl")
        let audit = try TestSupport.run(["audit", "export", "--output", export.path], home: root)
        XCTAssertEqual(audit.status, 0, audit.output)
        let text = try String(contentsOf: export, encoding: .utf8)
        let analyses = text.split(separator: "\n").filter { $0.contains("\"event\":\"analysis\"") }
        XCTAssertEqual(analyses.count, 5, text)
        XCTAssertTrue(analyses.allSatisfy { $0.contains("\"purpose\":\"workplace\"") }, text)
    }

    func testThreeShardsMergedExportLikeOneRun() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("fer")
        try BatchSupport.writeFER2013(60, into: corpus)
        let stills = ["nasa_astronaut_eileen_collins.png", "pexels_18175_angry_closeup.jpg"].map { TestSupport.sample($0).path }
        let inputs = [corpus.path] + stills
        let whole = root.appendingPathComponent("whole.sqlite")
        XCTAssertEqual(try TestSupport.run(["batch"] + inputs + ["--out", whole.path, "--quiet"], home: root).status, 0)
        var shardFiles: [String] = []
        for i in 0..<3 {
            let file = root.appendingPathComponent("shard\(i).sqlite").path
            shardFiles.append(file)
            // Shard 1 reads its slice from Slurm's variables, the others from --shard.
            let run = i == 1
                ? try TestSupport.run(["batch"] + inputs + ["--out", file, "--quiet"], home: root,
                                      environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"])
                : try TestSupport.run(["batch"] + inputs + ["--out", file, "--quiet", "--shard", "\(i)/3"], home: root)
            XCTAssertEqual(run.status, 0, run.output)
            let n = try SQLiteJobStore(url: URL(fileURLWithPath: file), exclusive: false).counts().total
            XCTAssertGreaterThan(n, 5)
            XCTAssertLessThan(n, 50)
        }
        let merged = root.appendingPathComponent("merged.sqlite")
        let merge = try TestSupport.run(["batch", "merge"] + shardFiles + ["--out", merged.path], home: root)
        XCTAssertEqual(merge.status, 0, merge.output)
        for format in ["csv", "jsonl"] {
            let a = root.appendingPathComponent("whole.\(format)"), b = root.appendingPathComponent("merged.\(format)")
            XCTAssertEqual(try TestSupport.run(["batch", "export", whole.path, "--\(format)", a.path], home: root).status, 0)
            XCTAssertEqual(try TestSupport.run(["batch", "export", merged.path, "--\(format)", b.path], home: root).status, 0)
            XCTAssertTrue(try Data(contentsOf: a) == Data(contentsOf: b), "\(format): merged shards differ from one run")
        }
        XCTAssertEqual(try SQLiteJobStore(url: merged, exclusive: false).counts().done, 62)
    }
}
