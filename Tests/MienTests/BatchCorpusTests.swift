import Foundation
import MienStore
import MienTesting
import XCTest

/// `mien batch` over a real corpus (500 FER2013 images, the sample video, a RAVDESS clip), killed with SIGKILL at
/// random moments and resumed: every input ends with exactly one result, no finished task is computed again, and
/// the export equals an uninterrupted run's byte for byte.
final class BatchCorpusTests: XCTestCase {
    func testKilledAndResumedRunsEqualAnUninterruptedRun() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try BatchSupport.writeFER2013(500, into: corpus.appendingPathComponent("fer"))
        let clip = try BatchSupport.ravdessClip()
        let inputs = [corpus.path, BatchSupport.sampleVideo.path, clip.path]
        let expectedTasks = 502

        // The uninterrupted reference.
        let reference = root.appendingPathComponent("reference.sqlite")
        let started = Date()
        let whole = try TestSupport.run(["batch"] + inputs + ["--out", reference.path, "--jobs", "2", "--quiet"],
                                        home: root, timeout: 900)
        XCTAssertEqual(whole.status, 0, whole.output)
        // Kill delays scale with how long the whole run takes on this machine: up to 30% of it per round, so the first
        // two rounds together cannot reach the end (at least two kills on a fast idle machine as on a slow loaded one).
        let wholeSeconds = Date().timeIntervalSince(started)
        let latestKill = max(0.6, 0.3 * wholeSeconds)
        print("uninterrupted run \(String(format: "%.1f", wholeSeconds)) s; kills 0.3–\(String(format: "%.1f", latestKill)) s after each start")
        let referenceCounts = try SQLiteJobStore(url: reference, exclusive: false).counts()
        XCTAssertEqual(referenceCounts.done, expectedTasks)
        XCTAssertEqual(referenceCounts.attempts, expectedTasks)

        // The same corpus, killed with SIGKILL at random moments, then resumed each time.
        let runFile = root.appendingPathComponent("killed.sqlite")
        // Up to five kills may all land in the video: it must not be parked for being interrupted three times.
        let arguments = ["batch"] + inputs + ["--out", runFile.path, "--jobs", "2", "--quiet", "--max-attempts", "10"]
        var generator = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        print("kill schedule seed \(generator.seed)")
        var finishedBefore: [String: BatchSupport.FinishedTask] = [:]
        var kills = 0
        for round in 0..<5 {
            let process = try BatchSupport.start(arguments, home: root)
            // Model loading and hashing take about a second; kill from just before that to well into the work.
            let delay = Double.random(in: 0.3...latestKill, using: &generator)
            let deadline = Date().addingTimeInterval(delay)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            guard process.isRunning else { break }   // finished before this kill: nothing left to interrupt
            BatchSupport.killHard(process)
            kills += 1
            let finished = try BatchSupport.finishedTasks(runFile)
            // Nothing that had finished changed: same attempt count, same finishing time, same rows.
            for (input, task) in finishedBefore {
                XCTAssertEqual(finished[input], task, "round \(round): \(input) changed after it had finished")
            }
            print("round \(round): killed after \(String(format: "%.2f", delay)) s with \(finished.count) task(s) done")
            finishedBefore = finished
        }
        XCTAssertGreaterThanOrEqual(kills, 2, "the corpus finished before the kills; make it longer")

        let resumed = try TestSupport.run(arguments, home: root, timeout: 900)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let finished = try BatchSupport.finishedTasks(runFile)
        for (input, task) in finishedBefore {
            XCTAssertEqual(finished[input], task, "\(input) was computed again after it had finished")
        }
        let store = try SQLiteJobStore(url: runFile, exclusive: false)
        let counts = try store.counts()
        XCTAssertEqual(counts.done, expectedTasks)
        XCTAssertEqual(counts.total, expectedTasks)
        XCTAssertEqual(counts.resultRows, referenceCounts.resultRows)
        // Recomputed work: only the tasks running at each kill (at most one per worker) were started again.
        let redone = counts.attempts - expectedTasks
        print("\(kills) kills; \(redone) task(s) started again; \(finishedBefore.count) finished before the last kill")
        XCTAssertLessThanOrEqual(redone, kills * 2)

        // Exactly one result per input, and the same export as the uninterrupted run.
        var perInput: [String: Int] = [:]
        try store.forEachTask { task, rows in perInput[task.input, default: 0] += rows.isEmpty ? 0 : 1 }
        XCTAssertEqual(perInput.count, expectedTasks)
        XCTAssertTrue(perInput.values.allSatisfy { $0 == 1 })
        for format in ["csv", "jsonl"] {
            let a = root.appendingPathComponent("reference.\(format)"), b = root.appendingPathComponent("killed.\(format)")
            XCTAssertEqual(try TestSupport.run(["batch", "export", reference.path, "--\(format)", a.path], home: root).status, 0)
            XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--\(format)", b.path], home: root).status, 0)
            let left = try Data(contentsOf: a), right = try Data(contentsOf: b)
            XCTAssertGreaterThan(left.count, 100_000)
            XCTAssertTrue(left == right, "\(format) exports differ after kill -9 and resume")
        }
        // The audit chain survived the kills: every analysis was recorded and the log verifies.
        let verify = try TestSupport.run(["audit", "verify"], home: root)
        XCTAssertEqual(verify.status, 0, verify.output)
    }
}

/// SplitMix64: a reproducible kill schedule (the seed is printed).
struct SeededGenerator: RandomNumberGenerator {
    let seed: UInt64
    private var state: UInt64
    init(seed: UInt64) {
        self.seed = seed
        state = seed
    }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1330_11EB
        return z ^ (z >> 31)
    }
}
