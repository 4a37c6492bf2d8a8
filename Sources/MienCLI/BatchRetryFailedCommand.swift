import ArgumentParser
import Foundation

struct BatchRetryFailedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-failed",
        abstract: "Queue a run's failed and parked tasks again; re-run 'mien batch' to work on them.")

    @Argument(help: "The run file, or a postgres:// URL.")
    var runFile: String

    func run() throws {
        let store = try BatchCLI.store(runFile, exclusive: true)
        let n = try store.retryFailed()
        print("\(n) task(s) queued again; re-run the batch command to analyse them.")
    }
}
