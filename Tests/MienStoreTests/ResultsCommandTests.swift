import Foundation
import XCTest
@testable import MienStore

/// `mien results` and `mien notice` through the real executable.
final class ResultsCommandTests: XCTestCase {
    func testResultsDeleteRemovesTheResultAndAuditsIt() throws {
        let home = try TemporaryHome()
        let env = ["MIEN_HOME": home.url.path, "MIEN_SEAL_KEY": String(repeating: "s", count: 40)]
        let store = try ResultStore(url: StoreLocation.resultsDatabase(in: home.url))
        let stored = try store.store(Data("{}".utf8), mediaType: "application/json", inputDigest: "d",
                                     purpose: "research-with-consent", actor: "lab", ttl: 3600)
        let listed = try MienBinary.run(["results", "list"], environment: env)
        XCTAssertTrue(listed.output.contains(stored.id), listed.output)

        let deleted = try MienBinary.run(["results", "delete", stored.id, "--actor", "subject-request"],
                                         environment: env)
        XCTAssertEqual(deleted.status, 0, deleted.output)
        XCTAssertNil(try store.fetch(id: stored.id))
        let again = try MienBinary.run(["results", "delete", stored.id], environment: env)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("no stored result with id"), again.output)

        let log = try AuditLog(url: StoreLocation.auditDatabase(in: home.url), sealKey: .secret(env["MIEN_SEAL_KEY"]!))
        let record = try XCTUnwrap(try log.records().last)
        XCTAssertEqual(record.event, "result-deleted")
        XCTAssertEqual(record.detail, stored.id)
        XCTAssertEqual(record.actor, "subject-request")
        XCTAssertTrue(try log.verify().isValid)
    }

    func testNoticeCommandPrintsThePlainLanguageNotice() throws {
        let home = try TemporaryHome()
        let result = try MienBinary.run(["notice", "--purpose", "workplace", "--operator", "Acme HR",
                                         "--contact", "privacy@acme.example"], environment: ["MIEN_HOME": home.url.path])
        XCTAssertEqual(result.status, 0, result.output)
        for phrase in ["Acme HR", "What is measured", "What is inferred", "art. 5(1)(f)", "How accurate it is",
                       "What is kept", "privacy@acme.example"] {
            XCTAssertTrue(result.output.contains(phrase), "missing \(phrase): \(result.output)")
        }
        XCTAssertEqual(try home.files(), [], "printing a notice writes nothing")
        let bad = try MienBinary.run(["notice", "--purpose", "hiring", "--operator", "X"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("research-with-consent"), bad.output)
    }
}
