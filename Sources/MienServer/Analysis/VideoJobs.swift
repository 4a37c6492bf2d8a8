import Foundation
import Logging
import Mien
import MienStore
import ServiceLifecycle
import Synchronization

/// The video jobs of the server: uploads wait in a durable queue (`VideoJobStore`), one runs at a time on its own
/// thread (a video run holds one detector and one classifier of the engine; stills use the others). A graceful
/// shutdown stops the run in flight and puts it back in the queue; a crash leaves it `running`, which `recover`
/// turns back into queued (once) at the next start. The upload is deleted once analysed; outputs are kept for
/// `retentionSeconds`, then deleted with the job.
final class VideoJobs: Service, Sendable {
    let store: VideoJobStore
    let folder: URL
    let engine: Engine
    let auth: KeyAuthenticator
    let retentionSeconds: Double
    let operatorName: String
    let logger: Logger
    private let stopping = Mutex(false)
    private let worker = DispatchQueue(label: "mien.server.video")

    init(store: VideoJobStore, folder: URL, engine: Engine, auth: KeyAuthenticator, retentionSeconds: Double,
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

    func recover() throws -> (requeued: [String], failed: [String]) { try store.recoverInterrupted() }

    func jobFolder(_ id: String) -> URL { folder.appendingPathComponent(id, isDirectory: true) }

    static let outputs = ["jsonl": "frames.jsonl", "csv": "frames.csv", "html": "report.html"]

    func run() async throws {
        // A server may be run again after a graceful stop (tests do): start with the flag down.
        stopping.withLock { $0 = false }
        await withGracefulShutdownHandler {
            while !stopping.withLock({ $0 }) && !Task.isCancelled {
                do {
                    if let job = try store.claimNext() {
                        await analyse(job)
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

    private func analyse(_ job: VideoJob) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            worker.async {
                self.analyseBlocking(job)
                done.resume()
            }
        }
    }

    private func analyseBlocking(_ job: VideoJob) {
        let dir = jobFolder(job.id)
        let input = dir.appendingPathComponent("input")
        var failure: String?
        do {
            let purpose = try Purpose.parse(job.purpose)
            let session = try Session(governance: auth.base.acting(as: job.actor, purpose: purpose),
                                      measuresOnly: job.measuresOnly)
            var options = VideoOptions()
            options.analysis.measuresOnly = job.measuresOnly
            options.thumbnails = true
            options.deliverFrames = false
            let analyzer = try VideoAnalyzer(engine: engine, session: session, options: options)
            var request = VideoOutputs.Request()
            request.jsonl = dir.appendingPathComponent("frames.jsonl")
            request.csv = dir.appendingPathComponent("frames.csv")
            request.report = dir.appendingPathComponent("report.html")
            request.operatorName = operatorName
            var outputs: VideoOutputs?
            let id = job.id
            let result = try analyzer.analyze(.file(input), shouldStop: { self.stopping.withLock { $0 } },
                                              onOpen: { source in
                outputs = try VideoOutputs(request, analyzer: analyzer, fps: source.analysedFPS)
            }, onProgress: { p in
                try? self.store.progress(id: id, analysed: p.framesAnalysed, expected: p.framesExpected)
            }) { frame, picture in
                try outputs?.write(frame, picture: picture)
            }
            if stopping.withLock({ $0 }) {
                try store.requeue(id: job.id)
                logger.notice("video job \(job.id) stopped by shutdown; back in the queue")
                return
            }
            if outputs == nil { outputs = try VideoOutputs(request, analyzer: analyzer, fps: 25) }
            try outputs?.finish(result, summary: result.summary)
            try store.progress(id: job.id, analysed: result.summary.framesAnalysed,
                               expected: max(result.summary.framesAnalysed, job.framesExpected))
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
        do {
            try store.finish(id: job.id, failure: failure)
        } catch {
            logger.error("video job \(job.id): cannot record its end: \(error)")
        }
    }

    func purgeExpired(now: Date = Date()) throws {
        for job in try store.ended(before: now.addingTimeInterval(-retentionSeconds)) {
            try? FileManager.default.removeItem(at: jobFolder(job.id))
            try store.delete(id: job.id)
        }
    }
}
