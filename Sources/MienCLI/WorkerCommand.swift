import ArgumentParser
import Foundation
import Mien

/// `mien worker`: works on the tasks of a PostgreSQL batch run, on any machine that sees the inputs at the same paths.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work on the tasks of a 'mien batch --postgres' run; any number of workers on any number of machines.",
        discussion: """
            Claims one task at a time per thread, renews its lease while analysing, and writes the result in the \
            transaction that marks it done. Ends when no task is queued or running; SIGTERM or SIGINT: finish the \
            current tasks, then end. The analysis options come from the run. Exit codes: 0 ok; 1 tasks failed or \
            were parked; 2 the database cannot be used.
            """)

    @Option(help: "The run's database: postgres://USER:PASSWORD@HOST:PORT/DB.")
    var postgres: String

    @Option(help: "Worker threads, each with its own models (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds a claimed task is held without a heartbeat before another worker may take it over.")
    var lease: Double = 30

    @Option(help: "Park a task after this many starts (failed, or its worker lost).")
    var maxAttempts = 3

    @Flag(help: "No progress line.")
    var quiet = false

    @OptionGroup var trust: TrustOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() throws {
        ComputeThreads.set(1)
        let store = try BatchCLI.reporting {
            try PostgresJobStore(url: postgres, leaseSeconds: lease, maxAttempts: maxAttempts)
        }
        guard let manifest = try BatchCLI.reporting({ try store.manifest() }) else {
            FileHandle.standardError.write(Data("error: \(BatchCLI.redacted(postgres)) holds no batch run yet; start one with 'mien batch INPUT... --postgres URL'.\n".utf8))
            throw ExitCode(2)
        }
        var settings = try JSONDecoder().decode(BatchSettings.self, from: Data(manifest.options.utf8))
        // The purpose may narrow what this worker produces, never widen what the run was made with.
        if !trust.requestedOutputs.contains(.expressions) { settings.measuresOnly = true }
        let runner = try BatchRunner(store: store, settings: settings, governance: try trust.governance(postgres: postgres), jobs: jobs,
                                     maxAttempts: maxAttempts,
                                     scratchDirectory: FileManager.default.temporaryDirectory
                                        .appendingPathComponent("mien-worker-\(getpid())"))
        guard runner.manifest.fingerprint == manifest.fingerprint else {
            FileHandle.standardError.write(Data("error: \(JobStoreError.runMismatch(path: BatchCLI.redacted(postgres), stored: manifest.options + " " + manifest.models, requested: runner.manifest.options + " " + runner.manifest.models))\n".utf8))
            throw ExitCode(2)
        }
        let stop = SignalStop(runner)
        defer { stop.cancel() }
        try BatchCLI.work(runner, name: BatchCLI.redacted(postgres), quiet: quiet)
    }
}

/// SIGTERM and SIGINT ask the runner to stop after the current tasks (a second signal ends the process at once).
final class SignalStop {
    private let sources: [any DispatchSourceSignal]

    init(_ runner: BatchRunner) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nstopping after the current task(s); signal again to end now\n".utf8))
                runner.requestStop()
                signal(number, SIG_DFL)
            }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
