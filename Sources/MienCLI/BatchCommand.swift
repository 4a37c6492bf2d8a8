import ArgumentParser
import Foundation
import Mien

/// `mien batch`: a corpus run on a resumable SQLite run file. The run itself is the default subcommand.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Analyse a corpus (images, videos, audio) in parallel into a resumable run file.",
        discussion: """
            'mien batch INPUT... --out RUN.sqlite' writes every task to the run file, then analyses them on --jobs \
            threads. Re-running the same command resumes: finished tasks are skipped, interrupted ones redone. \
            See docs/BATCH.md.
            """,
        subcommands: [BatchRunCommand.self, BatchStatusCommand.self, BatchExportCommand.self,
                      BatchRetryFailedCommand.self, BatchMergeCommand.self],
        defaultSubcommand: BatchRunCommand.self)
}

struct BatchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Analyse inputs into a run file (the default: 'mien batch INPUT... --out RUN.sqlite').",
        discussion: """
            Inputs: files, folders (recursive), globs ('photos/*.jpg', quoted), and @list files (one input a line). \
            Each input is a task keyed by its content (SHA-256), the model versions and the options; an input that \
            cannot be analysed becomes a failed task with the reason and the run goes on. Exit codes: 0 every task \
            done; 1 some tasks failed or were parked ('mien batch status' lists them); 2 usage error or a run file \
            that cannot be used. --blendshapes and --body (movement, not emotion; off by default) run on every face \
            of an image and on every Kth analysed frame of a video; they are options of the run like the others.
            """)

    @Argument(help: "Image, video or audio files, folders, globs, or @list files.")
    var inputs: [String]

    @Option(help: "The run file (SQLite). Created when missing; an existing one is resumed.")
    var out: String?

    @Option(help: "Put the tasks in PostgreSQL instead (postgres://USER:PASSWORD@HOST:PORT/DB); 'mien worker' processes on any machine work on them too.")
    var postgres: String?

    @Flag(help: "With --postgres: only write the tasks; leave the work to 'mien worker' processes.")
    var enqueueOnly = false

    @Option(help: "With --postgres: seconds a claimed task is held without a heartbeat before another worker may take it over.")
    var lease: Double = 30

    @Option(help: "Worker threads, each with its own models (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Take only slice i of N of the inputs (by a hash of each path), e.g. 0/3. Also read from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX with MIEN_SHARD_COUNT.")
    var shard: String?

    @Option(help: "Park a task after this many starts that never finished (an input that kills the process).")
    var maxAttempts = 3

    @OptionGroup var image: ImageOptions

    @Option(help: "Videos: analyse every Nth frame.")
    var every = 1

    @Option(help: "Videos: analyse about this many frames per second (instead of --every).")
    var fps: Double?

    @Option(help: "Videos: run the face detector on every Kth analysed frame of the video and follow faces by their landmarks in between (as 'mien video', but inline, so results never depend on thread timing); 1 = detect on every frame.")
    var detectEvery = 10

    @Option(name: .customLong("video-segment"),
            help: "Videos: cut a video longer than two segments of this many seconds into segments analysed in parallel and stitched back (track ids kept); 0 = never cut.")
    var videoSegment = 60.0

    @OptionGroup var blendshapes: VideoBlendshapeOptions

    @OptionGroup var body: VideoBodyOptions

    @Flag(help: "No progress line.")
    var quiet = false

    @OptionGroup var trust: TrustOptions

    func validate() throws {
        guard (out == nil) != (postgres == nil) else { throw ValidationError("give one of --out RUN.sqlite or --postgres URL") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        if enqueueOnly && postgres == nil { throw ValidationError("--enqueue-only needs --postgres") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        guard detectEvery >= 1 else { throw ValidationError("--detect-every must be at least 1") }
        if let fps, fps <= 0 { throw ValidationError("--fps must be positive") }
        guard videoSegment == 0 || videoSegment >= 5 else {
            throw ValidationError("--video-segment must be 0 (never cut) or at least 5 seconds")
        }
        do {
            if let shard { _ = try CorpusShard(parsing: shard) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        // Parallelism comes from the worker threads; OpenCV inside each stays on one thread.
        ComputeThreads.set(1)
        var settings = BatchSettings()
        let options = image.applied()
        settings.detector = options.detector.rawValue
        settings.maxPixels = options.maxPixels
        settings.crops = options.crops
        settings.flipAverage = options.flipAverage
        settings.prior = options.prior == .natural ? nil : options.prior.rawValue
        settings.labelSet = options.labelSet == .perceived ? nil : options.labelSet.rawValue
        settings.measuresOnly = !trust.requestedOutputs.contains(.expressions)
        settings.videoEvery = every
        settings.videoFPS = fps
        settings.detectEvery = detectEvery
        settings.videoSegmentSeconds = videoSegment
        // Images get the mesh and the body on every face; videos every K analysed frames, as 'mien video'.
        var movement = VideoOptions()
        blendshapes.apply(to: &movement)
        body.apply(to: &movement)
        settings.blendshapesEvery = movement.blendshapesEvery > 0 ? movement.blendshapesEvery : nil
        settings.bodyEvery = movement.bodyEvery > 0 ? movement.bodyEvery : nil

        let slice = try shard.map(CorpusShard.init(parsing:)) ?? CorpusShard.fromEnvironment()
        var expansion = CorpusInputs.expand(inputs)
        for warning in expansion.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if let slice { expansion.inputs = expansion.inputs.filter { slice.contains($0.path) } }
        guard !expansion.inputs.isEmpty || slice != nil else { throw BatchError.noInputs }

        let store: any JobStore
        let scratch: URL
        let name: String
        if let postgres {
            store = try BatchCLI.reporting { try PostgresJobStore(url: postgres, leaseSeconds: lease, maxAttempts: maxAttempts) }
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mien-batch-\(getpid())")
            name = BatchCLI.redacted(postgres)
        } else {
            let runFile = URL(fileURLWithPath: out ?? "run.sqlite")
            store = try BatchCLI.open(runFile, exclusive: true)
            scratch = URL(fileURLWithPath: runFile.path + "-scratch")
            name = runFile.path
        }
        let runner = try BatchRunner(store: store, settings: settings, governance: try trust.governance(postgres: postgres), jobs: jobs,
                                     maxAttempts: maxAttempts, scratchDirectory: scratch)
        let prepared = try BatchCLI.reporting { try runner.prepare(expansion.inputs) }
        var intro = "\(name): \(expansion.inputs.count) input(s)"
        if let slice { intro += " in shard \(slice)" }
        intro += ": \(prepared.added) new, \(prepared.unchanged) known, \(prepared.changed) changed"
        if expansion.skipped > 0 { intro += "; \(expansion.skipped) file(s) of other types skipped" }
        if enqueueOnly {
            FileHandle.standardError.write(Data((intro + "; start 'mien worker --postgres URL' to work on them\n").utf8))
            return
        }
        FileHandle.standardError.write(Data((intro + "; \(jobs) job(s)\n").utf8))
        try BatchCLI.work(runner, name: name, quiet: quiet)
    }
}

/// Shared by the batch subcommands: opening a run file with an exit code of 2 when it cannot be used.
enum BatchCLI {
    /// A run file path or a postgres:// URL.
    static func store(_ location: String, exclusive: Bool) throws -> any JobStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try reporting { try PostgresJobStore(url: location) }
        }
        return try open(URL(fileURLWithPath: location), exclusive: exclusive)
    }

    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }

    /// Runs the workers with the progress line; exit code 1 when tasks failed or were parked, 2 when the run file
    /// turns out unusable during the run (a damaged row met while claiming).
    static func work(_ runner: BatchRunner, name: String, quiet: Bool) throws {
        let line = BatchProgressLine(enabled: !quiet)
        let last = LastProgress()
        let counts = try unusableRunFileExitsTwo(finishing: line) {
            try runner.run(onProgress: { p in
                last.keep(p)
                line.show(p)
            }, onNotice: { message in
                FileHandle.standardError.write(Data("\nnotice: \(message)\n".utf8))
            })
        }
        line.finish()
        if let p = last.value, let p50 = p.claimP50, let p99 = p.claimP99 {
            FileHandle.standardError.write(Data(String(format: "%d task(s) finished here in %.1f s (%.1f tasks/s); claims p50 %.2f ms, p99 %.2f ms\n",
                                                       p.finishedHere, p.elapsed, p.rate, p50, p99).utf8))
        }
        print("done \(counts.done), failed \(counts.failed), parked \(counts.parked), queued \(counts.queued) "
              + "of \(counts.total) task(s); \(counts.resultRows) result row(s) in \(name)")
        if counts.failed + counts.parked > 0 {
            FileHandle.standardError.write(Data("\(counts.failed + counts.parked) task(s) did not finish; 'mien batch status \(name)' lists them with reasons, 'mien batch retry-failed' queues them again.\n".utf8))
            throw ExitCode(1)
        }
    }

    /// A damaged row met while claiming: the run file cannot be used, as when opening it refuses it (exit 2).
    static func unusableRunFileExitsTwo<T>(finishing line: BatchProgressLine, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JobStoreError where error.meansRunFileUnusable {
            line.finish()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    static func open(_ url: URL, exclusive: Bool) throws -> SQLiteJobStore {
        try reporting { try SQLiteJobStore(url: url, exclusive: exclusive) }
    }

    /// A run file that cannot be used (in use, another schema, other options) ends the command with exit code 2.
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JobStoreError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// The last progress report of a run, for its closing line.
// Safe to share: `value` is only touched under `lock`.
final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: BatchRunner.Progress?
    func keep(_ p: BatchRunner.Progress) { lock.withLock { stored = p } }
    var value: BatchRunner.Progress? { lock.withLock { stored } }
}

/// done/total, rate, ETA and failures: rewritten in place on a terminal, a plain line every 5 s otherwise.
// Safe to share: `lastPlain`, the only mutable state, is read and written under `lock`.
final class BatchProgressLine: @unchecked Sendable {
    let enabled: Bool
    let terminal = isatty(2) == 1
    private let lock = NSLock()
    private var lastPlain = 0.0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: BatchRunner.Progress) {
        guard enabled else { return }
        let share = p.total > 0 ? Double(p.done + p.failed) / Double(p.total) : 1
        let bar = String(repeating: "#", count: Int(share * 20)) + String(repeating: ".", count: 20 - Int(share * 20))
        let eta = p.eta.map { String(format: "ETA %.0f s", $0) } ?? "ETA -"
        let text = String(format: "[%@] %d/%d done, %.1f tasks/s, %@, %d failed", bar, p.done, p.total, p.rate, eta,
                          p.failed)
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        } else {
            let due = lock.withLock { () -> Bool in
                guard p.elapsed - lastPlain >= 5 else { return false }
                lastPlain = p.elapsed
                return true
            }
            if due { FileHandle.standardError.write(Data((text + "\n").utf8)) }
        }
    }

    func finish() {
        if enabled && terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
