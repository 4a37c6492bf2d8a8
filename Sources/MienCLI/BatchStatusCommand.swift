import ArgumentParser
import Foundation

struct BatchStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a run's tasks by state, and the failed and parked ones with their reasons.")

    @Argument(help: "The run file, or a postgres:// URL.")
    var runFile: String

    @Option(help: "List at most this many failed or parked tasks.")
    var limit = 20

    @Flag(help: "Print the counts as JSON.")
    var json = false

    func run() throws {
        let store = try BatchCLI.store(runFile, exclusive: false)
        let counts = try BatchCLI.reporting { try store.counts() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(counts), as: UTF8.self))
            return
        }
        print("\(counts.total) task(s): \(counts.done) done, \(counts.queued) queued, \(counts.running) running, "
              + "\(counts.failed) failed, \(counts.parked) parked; \(counts.attempts) attempt(s) started; "
              + "\(counts.resultRows) result row(s)")
        if let manifest = try BatchCLI.reporting({ try store.manifest() }) {
            print("options: \(manifest.options)")
            print("models: \(manifest.models)")
        }
        for problem in try BatchCLI.reporting({ try store.problems(limit: limit) }) {
            print("\(problem.state.rawValue) after \(problem.attempts) attempt(s): \(problem.input): \(problem.reason)")
        }
    }
}
