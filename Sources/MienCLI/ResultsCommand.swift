import ArgumentParser
import Foundation
import Mien

/// `mien results`: the results kept under retention, and their deletion on request.
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "List, show or delete results kept under retention (nothing is kept unless --retain was given).",
        subcommands: [List.self, Show.self, Delete.self, Purge.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored results that have not expired.")
        @OptionGroup var trust: TrustOptions

        func run() throws {
            let results = try trust.governance().listResults()
            if results.isEmpty { print("no stored results") }
            for result in results {
                let expires = Date(timeIntervalSince1970: result.expires).formatted(.iso8601)
                print("\(result.id)  \(result.purpose)  \(result.mediaType)  \(result.bytes) bytes  expires \(expires)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one stored result.")
        @Argument(help: "The result id.") var id: String
        @OptionGroup var trust: TrustOptions

        func run() throws {
            guard let result = try trust.governance().fetchResult(id: id) else {
                throw ValidationError("\(StoreError.resultNotFound(id: id))")
            }
            FileHandle.standardOutput.write(result.payload)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete stored results now; each deletion is audited.")
        @Argument(help: "The result ids.") var ids: [String]
        @OptionGroup var trust: TrustOptions

        func run() throws {
            let governance = try trust.governance()
            var missing: [String] = []
            for id in ids {
                if try governance.deleteResult(id: id) { print("deleted \(id)") } else { missing.append(id) }
            }
            if !missing.isEmpty {
                throw ValidationError(missing.map { "\(StoreError.resultNotFound(id: $0))" }.joined(separator: "\n"))
            }
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every expired result now (audited).")
        @OptionGroup var trust: TrustOptions

        func run() throws {
            let ids = try trust.governance().purgeExpiredResults()
            print("purged \(ids.count) expired result(s)")
        }
    }
}
