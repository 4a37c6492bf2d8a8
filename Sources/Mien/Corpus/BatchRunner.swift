import Foundation
import MienCore
import MienStore
import MienVision
import MienVoice

/// Runs a corpus through a `JobStore` on local threads: `prepare` writes every task before any starts, `run` lets
/// `jobs` worker threads claim tasks one at a time over one `Engine` (models loaded once, `jobs` instances of each
/// pooled stage), and writes each result as its task finishes.
///
/// Governance applies per task exactly as for `mien analyze`: the run's `Session` authorises the purpose once, and
/// the analysers append one audit record per analysed input. An input that cannot be analysed fails its task with the
/// reason; the run goes on.
public final class BatchRunner: Sendable {
    public let store: any JobStore
    public let settings: BatchSettings
    public let governance: Governance
    public let jobs: Int
    /// Starts of one task after which an interrupted task is parked rather than queued again.
    public let maxAttempts: Int
    /// Where video tasks stream their result lines before the completing transaction reads them.
    public let scratchDirectory: URL
    /// The models, loaded once and shared by every worker thread.
    public let engine: Engine
    public let session: Session
    private let firstAnalyzer: Analyzer
    private let workerPrefix: String

    /// Authorises the purpose and loads the engine (so a refused purpose or a missing model stops here, before any
    /// task).
    public init(store: any JobStore, settings: BatchSettings, governance: Governance, jobs: Int,
                maxAttempts: Int = 3, scratchDirectory: URL) throws {
        self.store = store
        self.settings = settings
        self.governance = governance
        self.jobs = max(1, jobs)
        self.maxAttempts = max(1, maxAttempts)
        self.scratchDirectory = scratchDirectory
        session = try Session(governance: governance, measuresOnly: settings.analysisOptions.measuresOnly)
        engine = try Engine(Engine.Configuration(detector: settings.analysisOptions.detector,
                                                 modelsDirectory: settings.analysisOptions.modelsDirectory,
                                                 expressionModel: session.grantsExpressions, instances: self.jobs,
                                                 faceMesh: settings.blendshapesEvery != nil,
                                                 body: settings.bodyEvery != nil))
        firstAnalyzer = try Analyzer(engine: engine, session: session, options: settings.analysisOptions)
        workerPrefix = "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    }

    /// Expression model, voice model, and the mesh and body models when the run uses them, as they enter the
    /// fingerprint.
    public var models: String {
        var parts = ["expression=" + (firstAnalyzer.modelVersion ?? "none")]
        func file(_ name: String) -> String? {
            guard let url = try? ModelLocator.file(name), let digest = try? Governance.digest(fileAt: url) else { return nil }
            return "\(name)@\(digest.prefix(16))"
        }
        if !settings.measuresOnly, firstAnalyzer.producesExpressions, let voice = file(VoiceAnalyzer.modelFileName) {
            parts.append("voice=" + voice)
        }
        if settings.blendshapesEvery != nil {
            parts.append("mesh=" + [FaceMeshLandmarker.fileName, BlendshapeEstimator.fileName].map { file($0) ?? $0 }
                .joined(separator: "+"))
        }
        if settings.bodyEvery != nil {
            parts.append("body=" + [BodyLandmarker.detectorFileName, BodyLandmarker.landmarkFileName]
                .map { file($0) ?? $0 }.joined(separator: "+"))
        }
        return parts.joined(separator: "; ")
    }

    public var manifest: RunManifest {
        let m = models
        let classes = firstAnalyzer.producesExpressions ? engine.expressionClasses(for: settings.analysisOptions.labelSet) : nil
        return RunManifest(fingerprint: settings.fingerprint(models: m), options: settings.json, models: m,
                           expressionClasses: classes)
    }

    /// Keys every input by its content and writes the tasks (one transaction). Unreadable inputs become tasks too,
    /// which fail with the reason when run.
    public func prepare(_ inputs: [CorpusInput]) throws -> PrepareSummary {
        let manifest = self.manifest
        let tasks = inputs.map { input -> NewTask in
            let key: String
            if let digest = try? Governance.digest(fileAt: URL(fileURLWithPath: input.path)) {
                key = TaskKey.make(contentDigest: digest, fingerprint: manifest.fingerprint)
            } else {
                key = TaskKey.unreadable(path: input.path, fingerprint: manifest.fingerprint)
            }
            return NewTask(input: input.path, kind: input.kind, key: key)
        }
        return try store.prepare(manifest, tasks: tasks)
    }

    /// Progress as the CLI shows it.
    public struct Progress: Sendable {
        public var total: Int
        public var done: Int
        public var failed: Int
        /// Tasks finished (done or failed) by this process, and the seconds it has been running.
        public var finishedHere: Int
        public var elapsed: Double
        public var rate: Double { finishedHere > 0 ? Double(finishedHere) / max(elapsed, 1e-9) : 0 }
        public var remaining: Int { max(0, total - done - failed) }
        public var eta: Double? { rate > 0 ? Double(remaining) / rate : nil }
        /// Milliseconds a claim took (the store round trip, including empty ones), median and 99th percentile.
        public var claimP50: Double?
        public var claimP99: Double?
    }

    /// Works until no task is queued; returns the store's counts. Interrupted tasks of an earlier process are
    /// queued again first (parked after `maxAttempts` starts).
    public func run(onProgress: @escaping @Sendable (Progress) -> Void = { _ in },
                    onNotice: @escaping @Sendable (String) -> Void = { _ in }) throws -> TaskCounts {
        try store.recoverInterrupted(maxAttempts: maxAttempts)
        // Files left by a killed process belong to tasks just queued again: the run lock says nobody else uses them.
        try? FileManager.default.removeItem(at: scratchDirectory)
        try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratchDirectory) }
        let start = try store.counts()
        let tally = Tally(total: start.total, done: start.done, failed: start.failed + start.parked)
        stopSwitch.attach(tally)
        let began = DispatchTime.now().uptimeNanoseconds
        let finished = DispatchGroup()
        for index in 0..<jobs {
            finished.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                do {
                    try work(worker: index, tally: tally, notice: onNotice)
                } catch {
                    tally.stop(with: "\(error)", unusableRunFile: (error as? JobStoreError)?.meansRunFileUnusable == true
                                   ? error as? JobStoreError : nil)
                }
            }
            // dlib and OpenCV recurse deeper than Foundation's 512 KiB default for secondary threads allows.
            thread.stackSize = 8 << 20
            thread.name = "mien-batch-\(index)"
            thread.start()
        }
        while finished.wait(timeout: .now() + 0.5) == .timedOut {
            onProgress(tally.progress(elapsed: Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9))
        }
        onProgress(tally.progress(elapsed: Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9))
        // A run file that cannot be read (a damaged row met while claiming) is the store's error, as when opening it:
        // the command exits 2 for it, not 1 (tasks failed).
        if let unusable = tally.unusableRunFile { throw unusable }
        if let stopped = tally.stopReason { throw BatchError.worker(stopped) }
        return try store.counts()
    }

    /// Asks the workers to stop after their current task (SIGTERM in `mien worker`); `run` then returns.
    public func requestStop() { stopSwitch.request() }
    private let stopSwitch = StopSwitch()

    /// The next task, or nil when there is none left for this worker. On a shared store an empty queue with tasks
    /// still running elsewhere is waited on: a worker that dies leaves its task to come back when its lease ends.
    private func next(for owner: String, tally: Tally) throws -> ClaimedTask? {
        while !tally.shouldEnd {
            let asked = DispatchTime.now().uptimeNanoseconds
            let claimed = try store.claim(worker: owner)
            tally.claimTook(Double(DispatchTime.now().uptimeNanoseconds - asked) / 1e6)
            if let task = claimed { return task }
            // SKIP LOCKED passes over a queued row another transaction holds for a moment, so "nothing claimed"
            // is not "nothing queued": a shared store's worker ends only when nothing is queued or running.
            guard store.isShared else { return nil }
            let counts = try store.counts()
            guard counts.queued + counts.running > 0 else { return nil }
            Thread.sleep(forTimeInterval: min(1, (store.leaseSeconds ?? 1) / 4))
        }
        return nil
    }

    /// One worker thread: its own analysers, built on first need and reused for every task it claims.
    private func work(worker index: Int, tally: Tally, notice: @escaping @Sendable (String) -> Void) throws {
        let owner = "\(workerPrefix)-w\(index)"
        var analyzers = WorkerAnalyzers(settings: settings, engine: engine, session: session, image: firstAnalyzer)
        while let task = try next(for: owner, tally: tally) {
            let heartbeat = Heartbeat(store: store, task: task, notice: notice)
            defer { heartbeat.stop() }
            let started = DispatchTime.now().uptimeNanoseconds
            var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
            let rows: ResultRows
            do {
                rows = try analyze(task, with: &analyzers)
            } catch {
                try store.fail(task, reason: "\(error)", seconds: seconds)
                tally.finished(ok: false)
                continue
            }
            do {
                if try store.complete(task, rows: rows, seconds: seconds) {
                    tally.finished(ok: true)
                } else {
                    notice("completion refused for \(task.input) (attempt \(task.attempt)): its lease was taken over; "
                           + "the worker that holds it now writes the result")
                }
            } catch {
                // A full disk or a failing write rolls the transaction back; the task fails with the reason when
                // that can still be written, else the whole run stops (re-running resumes).
                try store.fail(task, reason: "\(error)", seconds: seconds)
                tally.finished(ok: false)
            }
        }
    }

    private func analyze(_ task: ClaimedTask, with analyzers: inout WorkerAnalyzers) throws -> ResultRows {
        let url = URL(fileURLWithPath: task.input)
        switch task.kind {
        case .image:
            let analysis = try analyzers.image().analyze(imageAt: url)
            return .documents([ResultRow(kind: "image", json: try BatchJSON.string(analysis))])
        case .audio:
            let analysis = try analyzers.voice().analyze(audioAt: url)
            return .documents([ResultRow(kind: "voice", json: try BatchJSON.string(analysis))])
        case .video:
            return try analyzeVideo(task, url: url, analyzer: try analyzers.video())
        }
    }

    /// Frames go to a scratch file as they come (memory stays flat for any length); the store reads it in the
    /// transaction that marks the task done.
    private func analyzeVideo(_ task: ClaimedTask, url: URL, analyzer: VideoAnalyzer) throws -> ResultRows {
        let file = scratchDirectory.appendingPathComponent("task-\(task.id)-\(task.attempt).rows")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw JobStoreError.writeFailed(path: file.path, reason: "cannot create the scratch file")
        }
        do {
            let handle = try FileHandle(forWritingTo: file)
            defer { try? handle.close() }
            // A long video is cut into segments that run on every core of this process (stitched back in order).
            let segmented = SegmentedVideoAnalysis(analyzer: analyzer, segmentSeconds: settings.videoSegmentSeconds ?? 0,
                                                   parallel: jobs)
            let parts = scratchDirectory.appendingPathComponent("task-\(task.id)-\(task.attempt).segments")
            var summary = try segmented.analyze(url, scratch: parts) { frame in
                let row = ResultRow(kind: "video-frame", json: try BatchJSON.string(frame))
                try handle.write(contentsOf: Data((row.line + "\n").utf8))
            }
            if let stopped = summary.stopped {
                throw BatchError.videoStopped(path: url.path, reason: stopped, framesAnalysed: summary.framesAnalysed)
            }
            // Wall time depends on the machine and its load; it is kept in the task's `seconds`, not in the result,
            // so results compare equal between runs.
            summary.wallSeconds = 0
            summary.framesPerSecond = 0
            let row = ResultRow(kind: "video-summary", json: try BatchJSON.string(summary))
            try handle.write(contentsOf: Data((row.line + "\n").utf8))
            return .lineFile(file)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }
}

/// The analysers of one worker thread over the run's shared engine and session (cheap to make: they load
/// nothing, except the engine's voice model on the first audio task). Never shared: each thread owns its value.
struct WorkerAnalyzers {
    let settings: BatchSettings
    let engine: Engine
    let session: Session
    private var imageAnalyzer: Analyzer
    private var videoAnalyzer: VideoAnalyzer?
    private var voiceAnalyzer: VoiceAnalyzer?

    init(settings: BatchSettings, engine: Engine, session: Session, image: Analyzer) {
        self.settings = settings
        self.engine = engine
        self.session = session
        imageAnalyzer = image
    }

    func image() throws -> Analyzer { imageAnalyzer }

    mutating func video() throws -> VideoAnalyzer {
        if let videoAnalyzer { return videoAnalyzer }
        let made = try VideoAnalyzer(engine: engine, session: session, options: settings.videoOptions)
        videoAnalyzer = made
        return made
    }

    mutating func voice() throws -> VoiceAnalyzer {
        if let voiceAnalyzer { return voiceAnalyzer }
        let made = try VoiceAnalyzer(engine: engine, session: session,
                                     options: VoiceAnalyzer.Options(measuresOnly: settings.measuresOnly))
        voiceAnalyzer = made
        return made
    }
}

/// Renews a claimed task's lease every third of its length while the task is analysed (shared stores only).
// Safe to share: `timer` is set in init and only cancelled after; `lost` is guarded by `lock`.
final class Heartbeat: @unchecked Sendable {
    private let timer: DispatchSourceTimer?
    private let lock = NSLock()
    private var lost = false

    init(store: any JobStore, task: ClaimedTask, notice: @escaping @Sendable (String) -> Void) {
        guard let lease = store.leaseSeconds else {
            timer = nil
            return
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .userInitiated))
        self.timer = timer
        timer.schedule(deadline: .now() + lease / 3, repeating: lease / 3)
        timer.setEventHandler { [weak self] in
            guard let self, !self.lock.withLock({ self.lost }) else { return }
            if (try? store.renew(task)) == false {
                self.lock.withLock { self.lost = true }
                notice("lease lost for \(task.input) (attempt \(task.attempt)): another worker took it over")
            }
        }
        timer.resume()
    }

    func stop() { timer?.cancel() }
}

/// Lets `requestStop` reach the tally of the run in progress.
// Safe to share: `tally` and `requested` are only touched under `lock`.
final class StopSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var tally: Tally?
    private var requested = false

    func attach(_ tally: Tally) {
        lock.withLock {
            self.tally = tally
            if requested { tally.requestStop() }
        }
    }

    func request() {
        lock.withLock {
            requested = true
            tally?.requestStop()
        }
    }
}

/// Counts shared by the worker threads and the progress loop.
// Safe to share: every field is read and written only under `lock`.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private var done: Int
    private var failed: Int
    private var finishedHere = 0
    private var stopped: String?
    private var unusable: JobStoreError?

    init(total: Int, done: Int, failed: Int) {
        self.total = total
        self.done = done
        self.failed = failed
    }

    func finished(ok: Bool) {
        lock.withLock {
            if ok { done += 1 } else { failed += 1 }
            finishedHere += 1
        }
    }

    private var stopRequested = false
    /// One number per claim: 8 bytes a task, flat enough for any corpus this runner is meant for.
    private var claimMs: [Double] = []

    func claimTook(_ ms: Double) { lock.withLock { claimMs.append(ms) } }

    func stop(with reason: String, unusableRunFile: JobStoreError? = nil) {
        lock.withLock {
            if stopped == nil {
                stopped = reason
                unusable = unusableRunFile
            }
        }
    }
    var stopReason: String? { lock.withLock { stopped } }
    /// The store error that stopped the run when it says the run file cannot be used.
    var unusableRunFile: JobStoreError? { lock.withLock { unusable } }
    func requestStop() { lock.withLock { stopRequested = true } }
    /// A worker failed, or a stop was asked for: claim nothing more.
    var shouldEnd: Bool { lock.withLock { stopped != nil || stopRequested } }

    func progress(elapsed: Double) -> BatchRunner.Progress {
        lock.withLock {
            var p = BatchRunner.Progress(total: total, done: done, failed: failed, finishedHere: finishedHere,
                                         elapsed: elapsed)
            if !claimMs.isEmpty {
                let sorted = claimMs.sorted()
                p.claimP50 = sorted[sorted.count / 2]
                p.claimP99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
            }
            return p
        }
    }
}

/// Result documents as stored: sorted keys, so equal results are equal text.
enum BatchJSON {
    static func string<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
