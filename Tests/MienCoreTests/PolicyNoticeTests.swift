import XCTest
import MienCore

final class PolicyNoticeTests: XCTestCase {
    func testNoticeSaysWhatIsMeasuredInferredKeptAndWhomToAsk() {
        let notice = Notice(purpose: .researchWithConsent, operatorName: "Lab 3", contact: "lab3@example.org",
                            retention: .timeToLive(seconds: 7 * 86_400),
                            accuracy: ModelAccuracy(model: "m", headlines: ["accuracy 86.0%"], source: "card"))
        let text = notice.sections.map(\.text).joined(separator: " ")
        for phrase in ["Lab 3", "research-with-consent", "68 points", "not a feeling", "uncertain",
                       "accuracy 86.0%", "7 day(s)", "lab3@example.org", "does not recognise who you are"] {
            XCTAssertTrue(text.contains(phrase), "missing \(phrase):\n\(text)")
        }
        XCTAssertTrue(notice.plainText(width: 88).split(separator: "\n").allSatisfy { $0.count <= 88 })
    }

    func testNoticeForRefusedPurposeSaysNothingIsInferred() {
        let text = Notice(purpose: .education, operatorName: "School").plainText()
        XCTAssertTrue(text.contains("Nothing about emotions or expressions"), text)
        XCTAssertTrue(text.contains("art. 5(1)(f)"), text)
        XCTAssertTrue(text.contains("No picture, frame, recording or result is kept"), text)
    }

    func testNoticeWithoutModelCardPointsToIt() {
        let text = Notice(purpose: .lawEnforcement, operatorName: "Police").plainText()
        XCTAssertTrue(text.contains("See the model card"), text)
        XCTAssertTrue(text.contains("explicit override"), text)
    }
}
