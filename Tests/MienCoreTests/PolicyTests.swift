import XCTest
@testable import MienCore

/// One test per row of the policy table, written out independently of `Policy.euAIAct` so a changed table fails here.
final class PolicyTests: XCTestCase {
    enum Expect { case allowed, refused, needsOverride }
    let policy = Policy.euAIAct

    func testEveryPurposeHasARow() {
        XCTAssertEqual(Set(policy.rows.keys), Set(Purpose.allCases))
    }

    func testResearchWithConsent() throws { try assertRow(.researchWithConsent, expressions: .allowed) }
    func testMedical() throws { try assertRow(.medical, expressions: .allowed) }
    func testSafety() throws { try assertRow(.safety, expressions: .allowed) }
    func testPersonalUse() throws { try assertRow(.personalUse, expressions: .allowed) }
    func testMediaAnalysis() throws { try assertRow(.mediaAnalysis, expressions: .allowed) }
    func testMarketingResearch() throws { try assertRow(.marketingResearch, expressions: .allowed) }
    func testWorkplace() throws { try assertRow(.workplace, expressions: .refused) }
    func testEducation() throws { try assertRow(.education, expressions: .refused) }
    func testLawEnforcement() throws { try assertRow(.lawEnforcement, expressions: .needsOverride) }
    func testBorderControl() throws { try assertRow(.borderControl, expressions: .needsOverride) }

    /// Measures are allowed for every purpose, with and without expressions requested alongside.
    private func assertRow(_ purpose: Purpose, expressions: Expect, file: StaticString = #filePath,
                           line: UInt = #line) throws {
        let measures = try policy.authorize(purpose: purpose, requested: [.measures])
        XCTAssertEqual(measures.granted, [.measures], file: file, line: line)
        XCTAssertNil(measures.operatorOverride, "measures never need an override", file: file, line: line)
        XCTAssertEqual(measures.outcome, "allowed", file: file, line: line)

        let both: Set<OutputKind> = [.measures, .expressions]
        switch expressions {
        case .allowed:
            XCTAssertEqual(try policy.authorize(purpose: purpose, requested: both).granted, both,
                           file: file, line: line)
            XCTAssertEqual(policy.rule(for: purpose, .expressions), .allowed, file: file, line: line)
        case .refused:
            for reason in [nil, "our lawyer said so"] {
                let refusal = try refusal(purpose, both, override: reason)
                XCTAssertFalse(refusal.overridable, file: file, line: line)
                XCTAssertEqual(refusal.output, .expressions, file: file, line: line)
            }
        case .needsOverride:
            let refusal = try refusal(purpose, both, override: nil)
            XCTAssertTrue(refusal.overridable, file: file, line: line)
            XCTAssertThrowsError(try policy.authorize(purpose: purpose, requested: both, operatorOverride: "  "),
                                 "a blank reason is no override", file: file, line: line)
            let decision = try policy.authorize(purpose: purpose, requested: both,
                                                operatorOverride: " case 2025-114, warrant 7 ")
            XCTAssertEqual(decision.granted, both, file: file, line: line)
            XCTAssertEqual(decision.operatorOverride, "case 2025-114, warrant 7", file: file, line: line)
            XCTAssertEqual(decision.outcome, "allowed-by-override", file: file, line: line)
            XCTAssertEqual(decision.overriddenRules.count, 1, file: file, line: line)
        }
    }

    private func refusal(_ purpose: Purpose, _ requested: Set<OutputKind>, override: String?) throws -> PolicyRefusal {
        do {
            _ = try policy.authorize(purpose: purpose, requested: requested, operatorOverride: override)
        } catch let refusal as PolicyRefusal {
            return refusal
        }
        XCTFail("\(purpose) \(requested) was not refused")
        throw XCTSkip()
    }

    // MARK: - Messages

    func testWorkplaceRefusalCitesArticle5AndOffersMeasuresOnly() throws {
        for purpose in [Purpose.workplace, .education] {
            // The command line's words; the library's own and an API's name the same remedies (test below).
            let message = try refusal(purpose, [.measures, .expressions], override: nil).message(.commandLine)
            XCTAssertTrue(message.contains("EU AI Act art. 5(1)(f)"), message)
            XCTAssertTrue(message.contains("'\(purpose.rawValue)'"), message)
            XCTAssertTrue(message.contains("Measures-only analysis remains available"), message)
            XCTAssertTrue(message.contains("--measures-only"), message)
            XCTAssertTrue(message.contains("--purpose medical"), message)
            XCTAssertTrue(message.contains("No override lifts this"), message)
        }
    }

    func testLawEnforcementRefusalCitesAnnexIIIAndExplainsOverride() throws {
        let police = try refusal(.lawEnforcement, [.expressions], override: nil).message(.commandLine)
        XCTAssertTrue(police.contains("Annex III points 1(c) and 6(b)"), police)
        XCTAssertTrue(police.contains("--operator-override"), police)
        XCTAssertTrue(police.contains("stored in the audit log"), police)
        XCTAssertTrue(police.contains("Measures-only analysis remains available"), police)
        let border = try refusal(.borderControl, [.expressions], override: nil).description
        XCTAssertTrue(border.contains("Annex III points 1(c) and 7(a)"), border)
    }

    func testLibraryWordingNamesNoCommandLineFlag() throws {
        for (purpose, requested) in [(Purpose.workplace, Set<OutputKind>([.measures, .expressions])),
                                     (.lawEnforcement, [.expressions])] {
            let library = try refusal(purpose, requested, override: nil).description
            XCTAssertFalse(library.contains("--"), library)
            XCTAssertTrue(library.contains("Measures-only analysis remains available (request only .measures"), library)
            let api = RemedyWording(measuresOnly: "measures_only=true", operatorOverride: "an operator key",
                                    declarePurpose: "a key with purpose {purpose}", pixelLimit: "max_pixels")
            let worded = try refusal(purpose, requested, override: nil).message(api)
            XCTAssertTrue(worded.contains("measures_only=true"), worded)
            XCTAssertFalse(worded.contains("--"), worded)
        }
        let tooBig = AnalysisError.tooManyPixels(source: "x.jpg", width: 10_000, height: 10_000, limit: 50_000_000)
        XCTAssertTrue(tooBig.message(.commandLine).contains("--max-megapixels"))
        XCTAssertFalse(tooBig.description.contains("--"), tooBig.description)
    }

    func testOverrideIsIgnoredWhereNotNeeded() throws {
        let decision = try policy.authorize(purpose: .personalUse, requested: [.measures, .expressions],
                                            operatorOverride: "not needed")
        XCTAssertNil(decision.operatorOverride)
        XCTAssertEqual(decision.outcome, "allowed")
    }

    func testPurposeMissingFromACustomTableIsRefused() {
        let partial = Policy(name: "partial", rows: [.medical: .init(measures: .allowed, expressions: .allowed)])
        XCTAssertThrowsError(try partial.authorize(purpose: .workplace, requested: [.measures]))
    }

    func testPurposeNamesParseAndUnknownListsTheValidOnes() throws {
        for purpose in Purpose.allCases { XCTAssertEqual(try Purpose.parse(purpose.rawValue), purpose) }
        XCTAssertEqual(try Purpose.parse("Law-Enforcement"), .lawEnforcement)
        XCTAssertThrowsError(try Purpose.parse("hiring")) { error in
            XCTAssertTrue("\(error)".contains("research-with-consent, medical"), "\(error)")
        }
    }

    func testRetentionParses() throws {
        XCTAssertEqual(try Retention.parse("none"), .none)
        XCTAssertEqual(try Retention.parse("7d"), .timeToLive(seconds: 7 * 86_400))
        XCTAssertEqual(try Retention.parse("90s"), .timeToLive(seconds: 90))
        XCTAssertEqual(Retention.timeToLive(seconds: 43_200).description, "12h")
        XCTAssertThrowsError(try Retention.parse("forever"))
        XCTAssertThrowsError(try Retention.parse("-3d"))
    }
}
