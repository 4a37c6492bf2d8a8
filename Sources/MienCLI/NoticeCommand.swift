import ArgumentParser
import Foundation
import Mien

/// `mien notice`: the plain-language notice to show the people who are analysed (EU AI Act art. 50(3)).
struct NoticeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice",
        abstract: "Print the notice to give the people being analysed: what is measured and inferred, accuracy, retention, contact.")

    @Option(help: "The declared purpose of the analysis (default: personal-use).")
    var purpose: String?

    @Option(name: .customLong("operator"), help: "Who runs the analysis, as the people analysed should know them.")
    var operatorName: String

    @Option(help: "How to reach the operator (e-mail, address, phone).")
    var contact: String?

    @Option(help: "How long results are kept (none, 12h, 7d); default: none.")
    var retention: String?

    @Flag(help: "Print the notice as JSON (title and sections) for embedding in reports.")
    var json = false

    func validate() throws {
        do {
            if let purpose { _ = try Purpose.parse(purpose) }
            if let retention { _ = try Retention.parse(retention) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let governance = try TrustConfiguration(purpose: purpose, retention: retention).governance()
        let notice = governance.notice(operatorName: operatorName, contact: contact)
        if json {
            struct Document: Encodable {
                let schema = "mien-notice/1"
                let purpose: String
                let title: String
                let sections: [Notice.Section]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(purpose: notice.purpose.rawValue, title: notice.title,
                                                   sections: notice.sections))
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(notice.plainText(), terminator: "")
        }
    }
}
