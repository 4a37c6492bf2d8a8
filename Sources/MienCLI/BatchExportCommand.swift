import ArgumentParser
import Foundation
import Mien

struct BatchExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's results as CSV (the columns of 'mien video --csv') or JSONL (mien/1 documents).",
        discussion: "Works while a run is going on too (it reads the finished tasks). Columns: docs/BATCH.md.")

    @Argument(help: "The run file, or a postgres:// URL.")
    var runFile: String

    @Option(help: "Write CSV here: one row per face per image or per video frame.")
    var csv: String?

    @Option(help: "Write JSONL here: one line per result document, and one per unfinished task.")
    var jsonl: String?

    func validate() throws {
        guard csv != nil || jsonl != nil else { throw ValidationError("give --csv FILE and/or --jsonl FILE") }
    }

    func run() throws {
        let store = try BatchCLI.store(runFile, exclusive: false)
        for (format, path) in [(BatchExport.Format.csv, csv), (.jsonl, jsonl)] {
            guard let path else { continue }
            let url = URL(fileURLWithPath: path)
            let s = try BatchCLI.reporting { try BatchExport.write(store, format: format, to: url) }
            print("\(path): \(s.lines) line(s) from \(s.tasks) task(s)"
                  + (s.unfinished > 0 ? "; \(s.unfinished) task(s) not done" : ""))
        }
    }
}
