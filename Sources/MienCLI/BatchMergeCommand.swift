import ArgumentParser
import Foundation

struct BatchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the run files of shards ('--shard i/N') into one run file.",
        discussion: "The shards must come from one corpus with the same options and models. Unfinished tasks stay unfinished; run 'mien batch' on the merged file to finish them.")

    @Argument(help: "Shard run files.")
    var shards: [String]

    @Option(help: "The merged run file (created, or added to).")
    var out: String

    func run() throws {
        let target = try BatchCLI.open(URL(fileURLWithPath: out), exclusive: true)
        for shard in shards {
            let source = try BatchCLI.open(URL(fileURLWithPath: shard), exclusive: false)
            let s = try target.merge(from: source)
            print("\(shard): \(s.copied) task(s) copied, \(s.duplicates) already present")
        }
        let counts = try target.counts()
        print("\(out): \(counts.total) task(s), \(counts.done) done, \(counts.failed + counts.parked) failed or parked, \(counts.queued) queued")
    }
}
