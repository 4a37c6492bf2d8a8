import Foundation
import XCTest
@testable import Mien
import MienCore
import MienStore

/// The library's trust front door: policy, audit records, retention and notices, on real files in a temp folder.
final class GovernanceTests: XCTestCase {
    private var home: URL!

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("mien-gov-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: home) }

    private func governance(_ purpose: Purpose, override: String? = nil,
                            retention: Retention = .none) -> Governance {
        Governance(purpose: purpose, actor: "tester", operatorOverride: override, retention: retention, home: home)
    }

    private func files() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: home.path))
    }

    func testNothingIsWrittenUntilSomethingIsRecorded() throws {
        _ = try governance(.personalUse).authorize([.measures, .expressions])
        XCTAssertEqual(try files(), [])
    }

    func testAnalysisRecordHoldsDigestDecisionAndNoInput() throws {
        let gov = governance(.lawEnforcement, override: "case 17")
        let decision = try gov.authorize([.measures, .expressions])
        let input = Data("pretend image bytes".utf8)
        let record = try gov.record(inputDigest: Governance.digest(of: input), source: "suspect.jpg",
                                    produced: [.measures, .expressions], modelVersion: "fer-1", decision: decision)
        XCTAssertEqual(record.inputDigest, Governance.digest(of: input))
        XCTAssertEqual(record.inputDigest.count, 64)
        XCTAssertEqual(record.decision, "allowed-by-override")
        XCTAssertEqual(record.operatorOverride, "case 17")
        XCTAssertEqual(record.produced, "measures,expressions")
        XCTAssertEqual(record.purpose, "law-enforcement")
        XCTAssertTrue(record.detail?.contains("Annex III") ?? false)
        XCTAssertTrue(try gov.verifyAuditLog().isValid)
        let left = try files()
        XCTAssertTrue(left.isSubset(of: ["audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm", "seal.key"]),
                      "no result, image or frame is kept: \(left)")
    }

    func testRefusalIsThrownAndAudited() throws {
        let gov = governance(.workplace)
        XCTAssertThrowsError(try gov.authorize([.measures, .expressions])) { error in
            XCTAssertTrue(error is PolicyRefusal)
            XCTAssertTrue("\(error)".contains("EU AI Act art. 5(1)(f)"))
        }
        let records = try gov.auditLog().records()
        XCTAssertEqual(records.map(\.event), ["refusal"])
        XCTAssertEqual(records.first?.decision, "refused")
        XCTAssertEqual(records.first?.detail, "expressions: EU AI Act art. 5(1)(f)")
        XCTAssertEqual(try gov.authorize([.measures]).granted, [.measures], "measures-only still works")
    }

    func testNoRetentionStoresNothing() throws {
        let gov = governance(.personalUse)
        XCTAssertNil(try gov.storeResult(Data("{}".utf8), inputDigest: "d"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: gov.resultsDatabase.path))
        XCTAssertEqual(try gov.listResults().count, 0)
        XCTAssertFalse(try gov.deleteResult(id: "nope"))
        XCTAssertEqual(try files(), [])
    }

    func testRetainedResultIsDeletedOnRequestAndTheDeletionAudited() throws {
        let gov = governance(.researchWithConsent, retention: .timeToLive(seconds: 3600))
        let id = try XCTUnwrap(try gov.storeResult(Data("{\"faces\":[]}".utf8), inputDigest: "abc"))
        XCTAssertEqual(try gov.fetchResult(id: id)?.payload, Data("{\"faces\":[]}".utf8))
        XCTAssertTrue(try gov.deleteResult(id: id))
        XCTAssertNil(try gov.fetchResult(id: id))
        let events = try gov.auditLog().records().map { "\($0.event) \($0.detail ?? "")" }
        XCTAssertEqual(events, ["result-stored \(id) ttl 1h", "result-deleted \(id)"])
        XCTAssertTrue(try gov.verifyAuditLog().isValid)
    }

    func testExpiredResultsArePurgedOnTheNextRecordAndAudited() throws {
        let gov = governance(.researchWithConsent, retention: .timeToLive(seconds: 60))
        let id = try XCTUnwrap(try gov.storeResult(Data("x".utf8), inputDigest: "abc"))
        XCTAssertEqual(try gov.purgeExpiredResults(now: Date().addingTimeInterval(61)), [id])
        XCTAssertEqual(try gov.auditLog().records().last?.event, "results-expired")
    }

    func testDigestOfFileMatchesDigestOfBytes() throws {
        let file = home.appendingPathComponent("input.bin")
        let bytes = Data((0..<3_000_000).map { UInt8($0 % 251) })
        try bytes.write(to: file)
        XCTAssertEqual(try Governance.digest(fileAt: file), Governance.digest(of: bytes))
        XCTAssertEqual(Governance.digest(of: Data("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testNoticeReadsHeadlineAccuracyFromModelMetadata() throws {
        let models = home.appendingPathComponent("Models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try Data(#"{"name": "fer-plus-1", "test_split": "FER+ PrivateTest", "metrics": {"accuracy": 0.861, "macro_recall": 0.702, "ece": 0.031}}"#.utf8)
            .write(to: models.appendingPathComponent("expression.json"))
        let text = governance(.mediaAnalysis).notice(operatorName: "Newsroom", modelDirectory: models).plainText(width: 500)
        XCTAssertTrue(text.contains("accuracy 86.1%"), text)
        XCTAssertTrue(text.contains("macro recall 70.2%"), text)
        XCTAssertTrue(text.contains("FER+ PrivateTest"), text)
        let card = governance(.mediaAnalysis).notice(operatorName: "N", modelDirectory: home).plainText()
        XCTAssertTrue(card.contains("See the model card"), card)
    }

    func testConfigurationFileIsReadAndCommandLineWins() throws {
        let file = home.appendingPathComponent("mien.json")
        try Data(#"{"purpose": "education", "actor": "school-7", "retention": "7d", "home": "\#(home.path)"}"#.utf8)
            .write(to: file)
        let loaded = try TrustConfiguration.load(from: file)
        let gov = try loaded.governance()
        XCTAssertEqual(gov.purpose, .education)
        XCTAssertEqual(gov.actor, "school-7")
        XCTAssertEqual(gov.retention, .timeToLive(seconds: 7 * 86_400))
        XCTAssertEqual(gov.auditDatabase.path, home.appendingPathComponent("audit.sqlite").path)
        let merged = try loaded.merged(with: TrustConfiguration(purpose: "medical")).governance()
        XCTAssertEqual(merged.purpose, .medical)
        XCTAssertEqual(merged.actor, "school-7")
        XCTAssertThrowsError(try TrustConfiguration(purpose: "hiring").governance())
    }

    func testLocalDefaultIsPersonalUseUnderMienHome() {
        let gov = Governance.localDefault()
        XCTAssertEqual(gov.purpose, .personalUse)
        XCTAssertEqual(gov.retention, .none)
        XCTAssertEqual(gov.auditDatabase.lastPathComponent, "audit.sqlite")
    }
}
