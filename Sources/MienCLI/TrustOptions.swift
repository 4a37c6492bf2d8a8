import ArgumentParser
import Foundation
import Mien

/// The options every analysing command shares: why it runs, who runs it, and what may be produced.
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Why the analysis is run (default: personal-use). Decides what may be produced; see 'mien notice'.",
        discussion: Purpose.allCases.map(\.rawValue).joined(separator: ", ")))
    var purpose: String?

    @Flag(help: "Landmarks, head pose and movement measures only: no expression inference at all.")
    var measuresOnly = false

    @Option(name: .customLong("operator-override"),
            help: "Reason for an explicit override where the policy requires one (law-enforcement, border-control). Stored in the audit log.")
    var operatorOverride: String?

    @Option(name: .customLong("audit-db"), help: "Audit log file (default: $MIEN_HOME/audit.sqlite or ~/.local/share/mien/audit.sqlite).")
    var auditDB: String?

    @Option(name: .customLong("seal-key"), help: "Seal key file for the audit log (default: $MIEN_SEAL_KEY, else seal.key beside the default log). Keep it off the log's disk.")
    var sealKey: String?

    @Option(help: "Who is analysing, as written in the audit log (default: $USER).")
    var actor: String?

    @Option(help: "Keep results for this long (e.g. 12h, 7d) so they can be fetched later; default: none (nothing kept).")
    var retain: String?

    @Option(help: "JSON file with purpose, actor, retention, auditDatabase, sealKeyFile; options given here win.")
    var config: String?

    func validate() throws {
        do {
            if let purpose { _ = try Purpose.parse(purpose) }
            if let retain { _ = try Retention.parse(retain) }
        } catch {
            throw ValidationError("\(error)")
        }
        if let operatorOverride, operatorOverride.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("\(PolicyConfigurationError.emptyOverrideReason)")
        }
    }

    /// The settings from --config, overridden by the options given on the command line.
    func configuration() throws -> TrustConfiguration {
        let file = try config.map { try TrustConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? TrustConfiguration()
        return file.merged(with: TrustConfiguration(
            purpose: purpose, actor: actor, operatorOverride: operatorOverride, retention: retain,
            auditDatabase: auditDB, sealKeyFile: sealKey, measuresOnly: measuresOnly ? true : nil))
    }

    func governance() throws -> Governance {
        try configuration().governance()
    }

    /// With a PostgreSQL run, analyses are audited in that database's one chain (every worker on every machine),
    /// unless --audit-db names a file.
    func governance(postgres url: String?) throws -> Governance {
        let governance = try self.governance()
        guard let url, try configuration().auditDatabase == nil else { return governance }
        let log = try PostgresAuditLog(url: url, sealKey: governance.sealKey)
        return governance.auditing(to: log, at: log.location)
    }

    /// Measures always; expressions unless measures-only was asked for here or in the config file (an unreadable
    /// config file is reported by `governance()`).
    var requestedOutputs: Set<OutputKind> {
        let fromFile = (try? configuration())?.measuresOnly ?? false
        return measuresOnly || fromFile ? [.measures] : [.measures, .expressions]
    }
}
