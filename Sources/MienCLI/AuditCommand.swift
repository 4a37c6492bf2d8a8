import ArgumentParser
import Foundation
import Mien

/// `mien audit`: check and export the tamper-evident audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify or export the audit log of analyses, refusals and deletions.",
        subcommands: [Verify.self, Export.self, Head.self, Stress.self])

    /// Where the log and its seal key are.
    struct Location: ParsableArguments {
        @Option(name: .customLong("audit-db"), help: "Audit log file (default: $MIEN_HOME/audit.sqlite or ~/.local/share/mien/audit.sqlite).")
        var auditDB: String?

        @Option(name: .customLong("seal-key"), help: "Seal key file (default: $MIEN_SEAL_KEY, else seal.key beside the default log).")
        var sealKey: String?

        @Option(help: "The shared audit log of a scale-out run in this PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DB) instead of a file.")
        var postgres: String?

        func governance(purpose: Purpose = .localDefault, actor: String? = nil) throws -> Governance {
            let governance = try TrustConfiguration(purpose: purpose.rawValue, actor: actor, auditDatabase: auditDB,
                                                    sealKeyFile: sealKey).governance()
            guard let postgres else { return governance }
            let log = try PostgresAuditLog(url: postgres, sealKey: governance.sealKey)
            return governance.auditing(to: log, at: log.location)
        }

        /// Refuses to create an empty log when asked to check one that is not there.
        func existingLog() throws -> Governance {
            let governance = try governance()
            guard postgres != nil || FileManager.default.fileExists(atPath: governance.auditDatabase.path) else {
                throw ValidationError("\(governance.auditDatabase.path): no audit log there (nothing was analysed "
                                      + "yet, or give --audit-db).")
            }
            return governance
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record's hash, the chain, and the seal; exit 1 naming the first bad record.")

        @OptionGroup var location: Location

        @Option(help: "A record count kept elsewhere from 'mien audit head'; with --expect-head, detects a rollback.")
        var expectCount: Int64?
        @Option(help: "The head hash kept elsewhere from 'mien audit head'.")
        var expectHead: String?

        func run() throws {
            let governance = try location.existingLog()
            let expected = expectCount.flatMap { count in expectHead.map { (count: count, headHash: $0) } }
            let verification = try governance.verifyAuditLog(expectingHead: expected)
            print("\(governance.auditLocation): \(verification)")
            if !verification.isValid { throw ExitCode(1) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write every record as JSON Lines, in log order.")

        @OptionGroup var location: Location

        @Option(name: .shortAndLong, help: "Output file (default: standard output).")
        var output: String?

        func run() throws {
            let governance = try location.existingLog()
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw ValidationError("\(output): cannot create the file.")
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                defer { try? handle.close() }
                try governance.exportAuditLog(to: handle)
            } else {
                try governance.exportAuditLog(to: FileHandle.standardOutput)
            }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the sealed record count and head hash, to keep somewhere the log's disk cannot reach.")

        @OptionGroup var location: Location

        func run() throws {
            let governance = try location.existingLog()
            guard let head = try governance.auditLog().head() else {
                print("empty log")
                return
            }
            print("--expect-count \(head.count) --expect-head \(head.headHash)")
        }
    }

    /// For tests: appends `count` analysis records, printing "ack SEQ" after each one is durable.
    struct Stress: ParsableCommand {
        static let configuration = CommandConfiguration(shouldDisplay: false)

        @OptionGroup var location: Location
        @Option var count = 100
        @Option var actor = "stress"

        func run() throws {
            let governance = try location.governance(actor: actor)
            let decision = try governance.authorize([.measures])
            for i in 0..<count {
                let record = try governance.record(
                    inputDigest: Governance.digest(of: Data("\(actor)-\(i)".utf8)), source: "stress-\(i)",
                    produced: [.measures], modelVersion: nil, decision: decision)
                FileHandle.standardOutput.write(Data("ack \(record.seq) \(record.hash)\n".utf8))
            }
        }
    }
}
