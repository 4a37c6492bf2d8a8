import Foundation
import Logging
import Mien
import MienStore
import ServiceLifecycle
import Synchronization

/// What an upload asked for, written beside it (`job.json`) before its task is queued; the task itself (state,
/// attempts, result) is in the job store.
struct VideoJobSpec: Codable, Sendable, Hashable {
    var id: String
    /// The API key's name (or the local actor) that uploaded it; only that actor may read or delete it.
    var actor: String
    var purpose: String
    var measuresOnly: Bool
}

/// A video job as `GET /v1/videos/{id}` shows it: the store's task, the upload's spec and the progress of a run.
struct VideoJobView: Sendable {
    var spec: VideoJobSpec
    var task: StoredTask
    var framesAnalysed: Int
    var framesExpected: Int
    /// The task's state in the API's words: `parked` (stopped too often) is `failed`.
    var state: String {
        switch task.state {
        case .queued, .running, .done: return task.state.rawValue
        case .failed, .parked: return "failed"
        }
    }
    var failure: String? {
        switch task.state {
        case .failed: return task.lastError
        case .parked:
            return "the server stopped \(task.attempts) times while analysing this video; it is not started again. "
                + "Check the server log, then upload the video again (or a shorter part of it)."
        default: return nil
        }
    }
}

/// The video jobs of the server, on the same `JobStore` as `mien batch` (an SQLite run file,
/// `HOME/video-jobs.sqlite`, held by one server at a time): each upload is a task whose input is the upload's path and
/// whose key is the job id, with the video's summary as its result row; the outputs (`frames.jsonl`, `frames.csv`,
/// `report.html`) are files in the job's folder. One job runs at a time on its own thread (a video run holds one
/// detector and one classifier of the engine; stills use the others). A graceful shutdown stops the run in flight
/// and releases its task (back in the queue, the attempt not counted); a crash leaves it `running`, which `recover`
/// queues again at the next start, or parks once it was started twice. The upload is deleted once analysed; outputs
/// are kept for `retentionSeconds`, then deleted with the task.
final class VideoJobs: Service, Sendable {
    let store: any JobStore
    let folder: URL
    let engine: Engine
    let auth: KeyAuthenticator
    let retentionSeconds: Double
    let operatorName: String
    let logger: Logger
    /// Starts after which a job left running by crashes is parked.
    static let maxAttempts = 2
    /// The store's one run: server video jobs (each result's summary names the models that made it).
    static let manifest = RunManifest(fingerprint: "mien-serve-video-jobs-1", options: "mien serve video jobs",
                                      models: "per job (each result's summary names its model)", expressionClasses: nil)
    static let outputs = ["jsonl": "frames.jsonl", "csv": "frames.csv", "html": "report.html"]
    private let worker = "serve-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    private let stopping = Mutex(false)
    /// Frames analysed / expected of the job in flight (progress is not written to the store frame by frame).
    private let progress = Mutex<[String: (Int, Int)]>([:])
    private let thread = DispatchQueue(label: "mien.server.video")

    init(store: any JobStore, folder: URL, engine: Engine, auth: KeyAuthenticator, retentionSeconds: Double,
         operatorName: String, logger: Logger) throws {
        self.store = store
        self.folder = folder
        self.engine = engine
        self.auth = auth
        self.retentionSeconds = retentionSeconds
        self.operatorName = operatorName
        self.logger = logger
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    func jobFolder(_ id: String) -> URL { folder.appendingPathComponent(id, isDirectory: true) }
    func inputURL(_ id: String) -> URL { jobFolder(id).appendingPathComponent("input") }
    private func specURL(_ id: String) -> URL { jobFolder(id).appendingPathComponent("job.json") }

    /// At start-up: tasks a stopped server left `running` go back to the queue (parked after `maxAttempts` starts),
    /// and job folders without a task (an upload cut off, a delete interrupted) are removed. Returns how many tasks
    /// were recovered.
    func recover() throws -> Int {
        let recovered = try store.recoverInterrupted(maxAttempts: Self.maxAttempts)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where try store.task(input: inputURL(name).path) == nil {
            try? FileManager.default.removeItem(at: jobFolder(name))
        }
        return recovered
    }

    /// Queues an upload already written to `inputURL(spec.id)`: the spec first (atomically), then the task; the job
    /// exists once this returns.
    func enqueue(_ spec: VideoJobSpec) throws {
        let data = try JSONEncoder().encode(spec)
        try data.write(to: specURL(spec.id), options: .atomic)
        _ = try store.prepare(Self.manifest, tasks: [NewTask(input: inputURL(spec.id).path, kind: .video, key: spec.id)])
    }

    func job(id: String) throws -> VideoJobView? {
        guard !id.isEmpty, !id.contains("/"), !id.hasPrefix("."),
              let task = try store.task(input: inputURL(id).path),
              let data = try? Data(contentsOf: specURL(id)),
              let spec = try? JSONDecoder().decode(VideoJobSpec.self, from: data) else { return nil }
        var view = VideoJobView(spec: spec, task: task, framesAnalysed: 0, framesExpected: 0)
        if task.state == .running, let (analysed, expected) = progress.withLock({ $0[id] }) {
            view.framesAnalysed = analysed
            view.framesExpected = expected
        } else if task.state == .done, let row = try store.results(ofTask: task.id).first,
                  let summary = try? JSONDecoder().decode(VideoSummary.self, from: Data(row.json.utf8)) {
            view.framesAnalysed = summary.framesAnalysed
            view.framesExpected = summary.framesAnalysed
        }
        return view
    }

    /// Jobs waiting or running (the upload limit).
    func active() throws -> Int {
        let counts = try store.counts()
        return counts.queued + counts.running
    }

    /// Deletes a job: the task first (the job is gone once this returns), then its folder.
    func delete(id: String) throws {
        try store.remove(input: inputURL(id).path)
        try? FileManager.default.removeItem(at: jobFolder(id))
    }

    func run() async throws {
        // A server may be run again after a graceful stop (tests do): start with the flag down.
        stopping.withLock { $0 = false }
        await withGracefulShutdownHandler {
            while !stopping.withLock({ $0 }) && !Task.isCancelled {
                do {
                    if let task = try store.claim(worker: worker) {
                        await analyse(task)
                        continue
                    }
                    try purgeExpired()
                } catch {
                    logger.error("video jobs: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
    }

    private func analyse(_ task: ClaimedTask) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            thread.async {
                self.analyseBlocking(task)
                done.resume()
            }
        }
    }

    private func analyseBlocking(_ task: ClaimedTask) {
        let id = task.key
        let dir = jobFolder(id)
        let input = inputURL(id)
        let started = Date()
        defer { progress.withLock { _ = $0.removeValue(forKey: id) } }
        var failure: String?
        var summaryRow: ResultRow?
        do {
            let spec = try JSONDecoder().decode(VideoJobSpec.self, from: Data(contentsOf: specURL(id)))
            let purpose = try Purpose.parse(spec.purpose)
            let session = try Session(governance: auth.base.acting(as: spec.actor, purpose: purpose),
                                      measuresOnly: spec.measuresOnly)
            var options = VideoOptions()
            options.analysis.measuresOnly = spec.measuresOnly
            options.thumbnails = true
            options.deliverFrames = false
            let analyzer = try VideoAnalyzer(engine: engine, session: session, options: options)
            var request = VideoOutputs.Request()
            request.jsonl = dir.appendingPathComponent("frames.jsonl")
            request.csv = dir.appendingPathComponent("frames.csv")
            request.report = dir.appendingPathComponent("report.html")
            request.operatorName = operatorName
            var outputs: VideoOutputs?
            let result = try analyzer.analyze(.file(input), shouldStop: { self.stopping.withLock { $0 } },
                                              onOpen: { source in
                outputs = try VideoOutputs(request, analyzer: analyzer, fps: source.analysedFPS)
            }, onProgress: { p in
                self.progress.withLock { $0[id] = (p.framesAnalysed, p.framesExpected) }
            }) { frame, picture in
                try outputs?.write(frame, picture: picture)
            }
            if stopping.withLock({ $0 }) {
                try store.release(task)
                logger.notice("video job \(id) stopped by shutdown; back in the queue")
                return
            }
            if outputs == nil { outputs = try VideoOutputs(request, analyzer: analyzer, fps: 25) }
            try outputs?.finish(result, summary: result.summary)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            summaryRow = ResultRow(kind: "video-summary",
                                   json: String(decoding: try encoder.encode(result.summary), as: UTF8.self))
            if let stopped = result.summary.stopped {
                failure = "the video stopped early (\(stopped)); the results hold the "
                    + "\(result.summary.framesAnalysed) frames analysed before that."
            }
        } catch let worded as any RemedyWorded {
            failure = worded.message(APIError.wording).replacingOccurrences(of: input.path, with: "the upload")
        } catch {
            failure = "\(error)".replacingOccurrences(of: input.path, with: "the upload")
        }
        try? FileManager.default.removeItem(at: input)
        let seconds = Date().timeIntervalSince(started)
        do {
            if let failure {
                try store.fail(task, reason: failure, seconds: seconds)
            } else if let summaryRow, try !store.complete(task, rows: .documents([summaryRow]), seconds: seconds) {
                logger.warning("video job \(id): its task was no longer held by this server; result not recorded")
            }
        } catch {
            logger.error("video job \(id): cannot record its end: \(error)")
        }
    }

    func purgeExpired(now: Date = Date()) throws {
        for task in try store.ended(before: now.timeIntervalSince1970 - retentionSeconds) {
            try delete(id: task.key)
        }
    }
}
