import Foundation
import MienStore
import MienTesting
import XCTest
@testable import MienPostgres

/// The PostgreSQL job store and `mien worker` against a real server on loopback (`.ci/run` starts one; set
/// MIEN_TEST_POSTGRES to use another). Skips with a message when no server is reachable.
final class BatchPostgresTests: XCTestCase {
    static let url = ProcessInfo.processInfo.environment["MIEN_TEST_POSTGRES"]
        ?? "postgres://mien:mien@127.0.0.1:5432/mien_test?sslmode=disable"

    /// A store on emptied job tables.
    func freshStore(lease: Double = 30, maxAttempts: Int = 3) throws -> PostgresJobStore {
        do {
            try PostgresJobStore(url: Self.url).dropTables()
        } catch JobStoreError.cannotOpen(let path, let reason) {
            throw XCTSkip("no PostgreSQL at \(path) (\(reason)); scripts/test.sh starts one, or set MIEN_TEST_POSTGRES")
        }
        return try PostgresJobStore(url: Self.url, leaseSeconds: lease, maxAttempts: maxAttempts)
    }

    let manifest = RunManifest(fingerprint: "fp", options: "{}", models: "m", expressionClasses: ["x", "y"])
    func row(_ s: String) -> ResultRows { .documents([ResultRow(kind: "image", json: "{\"v\":\"\(s)\"}")]) }

    func testAnExpiredLeaseIsTakenOverAndTheLateCompletionRefused() throws {
        let store = try freshStore(lease: 1)
        _ = try store.prepare(manifest, tasks: [NewTask(input: "/a.png", kind: .image, key: "k1")])
        XCTAssertEqual(try store.manifest(), manifest)
        let first = try XCTUnwrap(try store.claim(worker: "stopped"))
        XCTAssertTrue(try store.renew(first))
        XCTAssertNil(try store.claim(worker: "other"), "a leased task is not claimable")
        Thread.sleep(forTimeInterval: 1.5)
        let second = try XCTUnwrap(try store.claim(worker: "other"), "the expired lease is taken over")
        XCTAssertEqual(second.id, first.id)
        XCTAssertEqual(second.attempt, 2)
        XCTAssertFalse(try store.renew(first))
        XCTAssertFalse(try store.complete(first, rows: row("late"), seconds: 0), "the stopped worker's completion is refused")
        try store.fail(first, reason: "late failure", seconds: 0)   // refused too: changes nothing
        XCTAssertTrue(try store.complete(second, rows: row("ok"), seconds: 0))
        let counts = try store.counts()
        XCTAssertEqual(counts.done, 1)
        XCTAssertEqual(counts.resultRows, 1)
        var payloads: [String] = []
        try store.forEachTask { _, rows in payloads += rows.map(\.json) }
        XCTAssertEqual(payloads, ["{\"v\":\"ok\"}"])
    }

    /// A worker frozen inside its completing transaction holds the task's row lock. The server ends its session once
    /// it has sat idle in the transaction for a lease, so the task can be taken over; the frozen worker's own
    /// statement then fails instead of completing the task.
    func testASessionFrozenInsideATransactionIsEndedAndItsTaskTakenOver() throws {
        let store = try freshStore(lease: 5)
        _ = try store.prepare(manifest, tasks: [NewTask(input: "/a.png", kind: .image, key: "k1")])
        let frozen = try XCTUnwrap(try store.claim(worker: "frozen"))
        let id = frozen.id
        let result = ResultBox()
        let thread = Thread {
            // BEGIN by hand (not withTransaction, which would retry): lock the row, then go silent for 3 leases.
            result.value = Result {
                // PostgresNIO has been seen to wait for an answer on a connection the server ended rather than fail
                // at once; the worker's own bound (60 s, then a retry that is refused) covers that, here 25 s does.
                try Blocking.run(timeout: 25) { [client = store.client, logger = store.logger] in
                    try await client.withConnection { db in
                        try await db.query("BEGIN", logger: logger)
                        try await db.query("UPDATE task SET seconds = 0 WHERE id = \(id)", logger: logger)
                        try await Task.sleep(nanoseconds: 15_000_000_000)
                        do {
                            try await db.query("COMMIT", logger: logger)
                            return "committed"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
            }
        }
        thread.start()
        Thread.sleep(forTimeInterval: 1)
        let other = try PostgresJobStore(url: Self.url, leaseSeconds: 5)
        let deadline = Date().addingTimeInterval(14)
        var taken: ClaimedTask?
        while taken == nil && Date() < deadline {
            taken = try other.claim(worker: "other")
            if taken == nil { usleep(200_000) }
        }
        XCTAssertEqual(taken?.id, id, "the frozen session's task was taken over before it continued")
        XCTAssertEqual(taken?.attempt, 2)
        while result.value == nil { usleep(100_000) }
        print("frozen session ended with: \(String(describing: result.value))")
        XCTAssertNotEqual(try? result.value?.get(), "committed", "the frozen session's transaction was ended by the server")
        XCTAssertFalse(try store.complete(frozen, rows: row("late"), seconds: 0))
    }

    // Safe to share: the one value is read and written under the lock.
    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Result<String, Error>?
        var value: Result<String, Error>? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    func testOneTaskAtATimeForTheServersVideoJobs() throws {
        try JobStoreContract.checkOneTaskAtATime(try freshStore())
    }

    func testAFailingTaskIsRetriedThenParkedWithItsLastError() throws {
        let store = try freshStore(maxAttempts: 2)
        _ = try store.prepare(manifest, tasks: [NewTask(input: "/poison.png", kind: .image, key: "p")])
        for attempt in 1...2 {
            let task = try XCTUnwrap(try store.claim(worker: "w"))
            XCTAssertEqual(task.attempt, attempt)
            try store.fail(task, reason: "cannot decode (attempt \(attempt))", seconds: 0)
        }
        XCTAssertNil(try store.claim(worker: "w"))
        let problem = try XCTUnwrap(try store.problems(limit: 5).first)
        XCTAssertEqual(problem.state, .parked)
        XCTAssertEqual(problem.reason, "cannot decode (attempt 2)")
        XCTAssertEqual(try store.retryFailed(), 1)
    }

    func testUnreachableServersWrongCredentialsAndNewerSchemasGiveClearErrors() throws {
        let store = try freshStore()
        XCTAssertThrowsError(try PostgresJobStore(url: "postgres://mien:mien@127.0.0.1:1/mien_test?sslmode=disable")) { error in
            guard case JobStoreError.cannotOpen(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("cannot connect"), reason)
        }
        XCTAssertThrowsError(try PostgresJobStore(url: "postgres://mien:wrong@127.0.0.1:5432/mien_test?sslmode=disable")) { error in
            guard case JobStoreError.cannotOpen(let path, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("authentication failed"), reason)
            XCTAssertFalse(path.contains("wrong"), "the password is never shown")
        }
        try store.perform { client, logger in
            try await client.query("UPDATE mien_store SET schema_version = 9", logger: logger)
        }
        XCTAssertThrowsError(try PostgresJobStore(url: Self.url)) { error in
            guard case JobStoreError.newerSchema(_, 9, 1) = error else { return XCTFail("\(error)") }
        }
        try store.dropTables()
    }

    /// Three `mien worker` processes on 500 FER2013 images and one poison input: one worker is killed with SIGKILL,
    /// another stopped with SIGSTOP past its lease and continued. Every task ends done exactly once, the stopped
    /// worker's late completion is refused, the poison input is parked with its error.
    func testThreeWorkersSurviveAKilledAndAStoppedWorker() throws {
        let store = try freshStore()
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try BatchSupport.writeFER2013(500, into: corpus)
        try Data("not a png".utf8).write(to: corpus.appendingPathComponent("poison.png"))
        let enqueue = try TestSupport.run(["batch", corpus.path, "--postgres", Self.url, "--enqueue-only", "--quiet"],
                                          home: root)
        XCTAssertEqual(enqueue.status, 0, enqueue.output)
        XCTAssertEqual(try store.counts().queued, 501)

        let lease = 2.0
        let workers = try (0..<3).map { _ in
            try BatchSupport.start(["worker", "--postgres", Self.url, "--jobs", "1", "--lease", "\(Int(lease))", "--quiet"],
                                   home: root)
        }
        defer { for w in workers where w.isRunning { BatchSupport.killHard(w) } }
        // Wait until the workers are well into the corpus.
        let started = Date()
        while try store.counts().done < 60 && Date().timeIntervalSince(started) < 120 { usleep(100_000) }

        let killed = workers[0], stopped = workers[1]
        BatchSupport.killHard(killed)
        let orphaned = try tasksHeld(by: killed.processIdentifier, in: store)

        // Stop the worker while it holds a task whose row it has not locked, let its lease run out, and see the
        // third worker take the task over. A worker frozen inside its completing transaction holds the row lock,
        // and the database rightly lets nobody take that row: then continue it and try again.
        var stoppedHolding: [Int64] = []
        var takenOver = false
        for _ in 0..<20 where !takenOver {
            stoppedHolding = []
            for _ in 0..<50 where stoppedHolding.isEmpty {
                kill(stopped.processIdentifier, SIGSTOP)
                // The signal lands asynchronously: ask the database only once the process is really stopped, and
                // only once what it sent before stopping has reached the server (a completing UPDATE still in the
                // socket would lock the row a moment after we looked).
                while !Self.isStopped(stopped.processIdentifier) { usleep(1_000) }
                usleep(300_000)
                stoppedHolding = try tasksHeld(by: stopped.processIdentifier, in: store, unlockedOnly: true)
                if stoppedHolding.isEmpty {
                    kill(stopped.processIdentifier, SIGCONT)
                    usleep(30_000)
                }
            }
            XCTAssertFalse(stoppedHolding.isEmpty, "could not stop the worker while it held a task")
            // Its lease runs out; the third worker takes the task over on its next claim.
            let deadline = Date().addingTimeInterval(lease * 3 + 20)
            Thread.sleep(forTimeInterval: lease * 3)
            while Date() < deadline {
                let held = try tasksHeld(by: stopped.processIdentifier, in: store)
                if Set(held).isDisjoint(with: stoppedHolding) { takenOver = true; break }
                usleep(100_000)
            }
            kill(stopped.processIdentifier, SIGCONT)
            if !takenOver { usleep(200_000) }
        }
        XCTAssertTrue(takenOver, "no stopped worker's task was taken over after its lease ran out")
        for w in workers[1...] {
            let deadline = Date().addingTimeInterval(600)
            while w.isRunning && Date() < deadline { usleep(100_000) }
            XCTAssertFalse(w.isRunning, "a worker did not finish")
        }
        let counts = try store.counts()
        XCTAssertEqual(counts.done, 500)
        XCTAssertEqual(counts.parked, 1)
        XCTAssertEqual(counts.resultRows, 500, "one result row per image, none twice")
        let problem = try XCTUnwrap(try store.problems(limit: 5).first)
        XCTAssertTrue(problem.input.hasSuffix("poison.png") && problem.reason.contains("not an image"), problem.reason)
        XCTAssertEqual(problem.attempts, 3)

        var byID: [Int64: StoredTask] = [:]
        try store.forEachTask { task, rows in
            byID[task.id] = task
            if task.state == .done { XCTAssertEqual(rows.count, 1, task.input) }
        }
        for id in orphaned + stoppedHolding {
            XCTAssertEqual(byID[id]?.state, .done)
            XCTAssertGreaterThanOrEqual(byID[id]?.attempts ?? 0, 2, "taken over after the lease ran out")
        }
        let log = BatchSupport.log(of: stopped)
        XCTAssertTrue(log.contains("completion refused for"), log)
        XCTAssertEqual(stopped.terminationStatus, 1, "the parked poison input gives exit code 1")
        // Every worker audited into the database's one chain (nothing in the machine's own log).
        let verify = try TestSupport.run(["audit", "verify", "--postgres", Self.url], home: root)
        XCTAssertEqual(verify.status, 0, verify.output)
        let shared = try PostgresAuditLog(url: Self.url, sealKey: .file(root.appendingPathComponent("seal.key")))
        let records = try shared.records()
        XCTAssertGreaterThanOrEqual(records.filter { $0.event == "analysis" }.count, 500, "one record per analysed image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("audit.sqlite").path))
    }

    /// Workers on several machines append to one chain in the database: concurrent appends from separate logs keep
    /// one valid chain; a worker holding another seal key is refused, naming the key, before it appends.
    func testWorkersShareOneAuditChainAndAForeignKeyIsRefused() throws {
        _ = try freshStore()
        let key = SealKeySource.secret(String(repeating: "k", count: 40))
        let logs = try (0..<3).map { _ in try PostgresAuditLog(url: Self.url, sealKey: key) }
        DispatchQueue.concurrentPerform(iterations: 60) { i in
            let entry = AuditEntry(event: .analysis, actor: "worker-\(i % 3)", purpose: "research-with-consent",
                                   inputDigest: String(repeating: "a", count: 64), source: "/corpus/\(i).png",
                                   produced: "measures", policy: "eu-ai-act/1", decision: "allowed")
            do {
                try logs[i % 3].append(entry, at: Date())
            } catch {
                XCTFail("append \(i): \(error)")
            }
        }
        let verification = try logs[0].verify(expectingAtLeast: nil)
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.recordCount, 60)
        XCTAssertEqual(try logs[2].head()?.count, 60)
        let foreign = try PostgresAuditLog(url: Self.url, sealKey: .secret(String(repeating: "x", count: 40)))
        XCTAssertThrowsError(try foreign.append(AuditEntry(event: .analysis, actor: "w", purpose: "p", policy: "x"),
                                                at: Date())) { error in
            XCTAssertTrue("\(error)".contains("different seal key"), "\(error)")
        }
        XCTAssertEqual(try logs[0].records().count, 60, "nothing was appended by the refused worker")
        // Someone edits a record in the database: verification names it.
        try PostgresJobStore(url: Self.url).perform { client, logger in
            try await client.query("UPDATE audit_record SET actor = 'someone else' WHERE seq = 7", logger: logger)
        }
        XCTAssertFalse(try logs[0].verify(expectingAtLeast: nil).isValid)
    }

    /// An append retried after its COMMIT's answer was lost (same delivery id) finds the record the first try
    /// committed: one record, the chain and seal unchanged by the retry.
    func testAnAppendRetriedAfterALostCommitAnswerIsWrittenOnce() throws {
        _ = try freshStore()
        let log = try PostgresAuditLog(url: Self.url, sealKey: .secret(String(repeating: "k", count: 40)))
        let entry = AuditEntry(event: .analysis, actor: "worker-1", purpose: "research-with-consent",
                               inputDigest: String(repeating: "b", count: 64), source: "/corpus/1.png",
                               produced: "measures", policy: "eu-ai-act/1", decision: "allowed")
        let first = try log.append(entry, at: Date(), appendID: "delivery-1")
        let retried = try log.append(entry, at: Date().addingTimeInterval(5), appendID: "delivery-1")
        XCTAssertEqual(retried, first, "the retry returns the committed record")
        let other = try log.append(entry, at: Date(), appendID: "delivery-2")
        XCTAssertEqual(other.seq, first.seq + 1)
        XCTAssertEqual(try log.records().count, 2)
        let verification = try log.verify(expectingAtLeast: nil)
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.recordCount, 2)
    }

    /// A video and a still through `mien batch --postgres` working on its own tasks: the video's frame rows stream
    /// from the scratch file into the completing transaction, and the export matches the SQLite run's.
    func testAVideoRunsThroughPostgresLikeThroughTheRunFile() throws {
        _ = try freshStore()
        let root = try TestSupport.temporaryDirectory(self)
        let inputs = [BatchSupport.sampleVideo.path, TestSupport.sample("pexels_18175_angry_closeup.jpg").path]
        let viaPostgres = try TestSupport.run(["batch"] + inputs + ["--postgres", Self.url, "--jobs", "2", "--quiet"],
                                              home: root, timeout: 600)
        XCTAssertEqual(viaPostgres.status, 0, viaPostgres.output)
        let runFile = root.appendingPathComponent("run.sqlite")
        XCTAssertEqual(try TestSupport.run(["batch"] + inputs + ["--out", runFile.path, "--jobs", "2", "--quiet"],
                                           home: root, timeout: 600).status, 0)
        let a = root.appendingPathComponent("pg.csv"), b = root.appendingPathComponent("file.csv")
        XCTAssertEqual(try TestSupport.run(["batch", "export", Self.url, "--csv", a.path], home: root).status, 0)
        XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--csv", b.path], home: root).status, 0)
        let pg = try String(contentsOf: a, encoding: .utf8)
        XCTAssertGreaterThan(pg.split(separator: "\n").count, 400, "one row per face per frame")
        XCTAssertEqual(pg, try String(contentsOf: b, encoding: .utf8))
    }

    /// `mien worker` takes the movement options from the run: it loads the mesh and body models the run asked for,
    /// and its results export as a run file's with the same options do.
    func testAWorkerLoadsTheMeshAndBodyModelsTheRunAsksFor() throws {
        _ = try freshStore()
        let root = try TestSupport.temporaryDirectory(self)
        let inputs = [TestSupport.sample("nasa_astronaut_eileen_collins.png").path]
        let options = ["--measures-only", "--body", "--blendshapes", "--quiet"]
        let queued = try TestSupport.run(["batch"] + inputs + ["--postgres", Self.url, "--enqueue-only"] + options,
                                         home: root)
        XCTAssertEqual(queued.status, 0, queued.output)
        let worker = try TestSupport.run(["worker", "--postgres", Self.url, "--jobs", "1", "--quiet"], home: root,
                                         timeout: 300)
        XCTAssertEqual(worker.status, 0, worker.output)
        let runFile = root.appendingPathComponent("run.sqlite")
        XCTAssertEqual(try TestSupport.run(["batch"] + inputs + ["--out", runFile.path, "--jobs", "1"] + options,
                                           home: root, timeout: 300).status, 0)
        let a = root.appendingPathComponent("pg.jsonl"), b = root.appendingPathComponent("file.jsonl")
        XCTAssertEqual(try TestSupport.run(["batch", "export", Self.url, "--jsonl", a.path], home: root).status, 0)
        XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--jsonl", b.path], home: root).status, 0)
        let pg = try String(contentsOf: a, encoding: .utf8)
        XCTAssertTrue(pg.contains("\"body\":{"), "the worker found the astronaut's body: \(pg.prefix(300))")
        XCTAssertTrue(pg.contains("\"blendshapes\":{\"coefficients\""), "the worker fitted the mesh")
        XCTAssertEqual(pg, try String(contentsOf: b, encoding: .utf8))
    }

    /// SIGTERM: the worker finishes the task in hand, releases nothing half-done, and ends; the rest stays queued.
    func testSIGTERMFinishesTheCurrentTaskThenEnds() throws {
        let store = try freshStore()
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try BatchSupport.writeFER2013(300, into: corpus)
        XCTAssertEqual(try TestSupport.run(["batch", corpus.path, "--postgres", Self.url, "--enqueue-only", "--quiet"],
                                           home: root).status, 0)
        let worker = try BatchSupport.start(["worker", "--postgres", Self.url, "--jobs", "1", "--quiet"], home: root)
        defer { if worker.isRunning { BatchSupport.killHard(worker) } }
        let started = Date()
        while try store.counts().done < 20 && Date().timeIntervalSince(started) < 120 { usleep(50_000) }
        // Between two tasks the worker holds none for a moment: wait until it holds one.
        while try store.counts().running != 1 && Date().timeIntervalSince(started) < 120 { usleep(1_000) }
        XCTAssertEqual(try store.counts().running, 1, "the worker holds a task when the signal comes")
        kill(worker.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while worker.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(worker.isRunning, "the worker did not end after SIGTERM")
        XCTAssertEqual(worker.terminationStatus, 0, BatchSupport.log(of: worker))
        XCTAssertTrue(BatchSupport.log(of: worker).contains("stopping after the current task"))
        let counts = try store.counts()
        XCTAssertEqual(counts.running, 0, "the task in hand was finished, not left to a lease")
        XCTAssertGreaterThan(counts.queued, 0)
        XCTAssertEqual(counts.done + counts.queued, 300)
        XCTAssertEqual(counts.resultRows, counts.done)
    }

    /// The database restarted mid-run: the worker waits, reconnects and finishes. Needs root and `pg_ctlcluster`
    /// (Debian's PostgreSQL), as `.ci/run` has.
    func testAWorkerFinishesAcrossADatabaseRestart() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/pg_ctlcluster"),
              let cluster = Self.localCluster() else {
            throw XCTSkip("restarting PostgreSQL needs root and a local Debian cluster (pg_ctlcluster)")
        }
        let store = try freshStore()
        let root = try TestSupport.temporaryDirectory(self)
        let corpus = root.appendingPathComponent("corpus")
        try BatchSupport.writeFER2013(300, into: corpus)
        XCTAssertEqual(try TestSupport.run(["batch", corpus.path, "--postgres", Self.url, "--enqueue-only", "--quiet"],
                                           home: root).status, 0)
        let worker = try BatchSupport.start(["worker", "--postgres", Self.url, "--jobs", "2", "--lease", "5", "--quiet"],
                                            home: root)
        defer { if worker.isRunning { BatchSupport.killHard(worker) } }
        let started = Date()
        while try store.counts().done < 30 && Date().timeIntervalSince(started) < 120 { usleep(100_000) }
        // system(3), not Process: pg_ctlcluster leaves the restarted postmaster behind, and Foundation's Process has
        // been seen never to report the exit of such a child (a zombie nobody reaped; the test hung).
        // Its exit status is not used: in containers it can report a failed start of a server that did start.
        // The postmaster's start time says whether the server really restarted.
        let before = try postmasterStart(store)
        _ = system("/usr/bin/pg_ctlcluster \(cluster.joined(separator: " ")) restart -m fast >/dev/null 2>&1")
        XCTAssertNotEqual(try postmasterStart(store), before, "the server did not restart")
        XCTAssertLessThan(try store.counts().done, 300, "the restart came after the run had finished")
        let deadline = Date().addingTimeInterval(600)
        while worker.isRunning && Date() < deadline { usleep(100_000) }
        XCTAssertEqual(worker.terminationStatus, 0, BatchSupport.log(of: worker))
        let counts = try store.counts()
        XCTAssertEqual(counts.done, 300)
        XCTAssertEqual(counts.resultRows, 300)
    }

    /// Version and name of the first local cluster (`pg_lsclusters`), e.g. ["15", "main"].
    static func localCluster() -> [String]? {
        let list = Process()
        list.executableURL = URL(fileURLWithPath: "/usr/bin/pg_lsclusters")
        list.arguments = ["--no-header"]
        let pipe = Pipe()
        list.standardOutput = pipe
        guard (try? list.run()) != nil else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        list.waitUntilExit()
        let fields = text.split(separator: "\n").first?.split(separator: " ").map(String.init) ?? []
        return fields.count >= 2 ? Array(fields.prefix(2)) : nil
    }

    /// State `T` in /proc/PID/stat: stopped by a signal.
    static func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
    }

    private func postmasterStart(_ store: PostgresJobStore) throws -> String {
        try store.perform { client, logger in
            for try await t in try await client.query("SELECT pg_postmaster_start_time()::text", logger: logger).decode(String.self) {
                return t
            }
            return ""
        }
    }

    private func tasksHeld(by pid: Int32, in store: PostgresJobStore, unlockedOnly: Bool = false) throws -> [Int64] {
        try store.perform { client, logger in
            var ids: [Int64] = []
            let owner = "%-\(pid)-w%"
            let rows = unlockedOnly
                ? try await client.query("SELECT id FROM task WHERE state = 'running' AND lease_owner LIKE \(owner) FOR UPDATE SKIP LOCKED",
                                         logger: logger)
                : try await client.query("SELECT id FROM task WHERE state = 'running' AND lease_owner LIKE \(owner)",
                                         logger: logger)
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            return ids
        }
    }
}
