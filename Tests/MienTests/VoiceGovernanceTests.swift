import Foundation
import Mien
import MienCore
import MienTesting
import XCTest

/// The voice front door obeys the same purpose rules and audit as the face one.
final class VoiceGovernanceTests: XCTestCase {
    /// A 2-second 220 Hz tone written as WAV, so the test needs no dataset.
    private func toneFile(in dir: URL) throws -> URL {
        let rate = 16_000, n = 2 * rate
        var pcm = Data()
        for i in 0..<n {
            let v = Int16(8000 * sin(2 * Double.pi * 220 * Double(i) / Double(rate)))
            withUnsafeBytes(of: v.littleEndian) { pcm.append(contentsOf: $0) }
        }
        var wav = Data("RIFF".utf8)
        func u32(_ x: Int) { withUnsafeBytes(of: UInt32(x).littleEndian) { wav.append(contentsOf: $0) } }
        func u16(_ x: Int) { withUnsafeBytes(of: UInt16(x).littleEndian) { wav.append(contentsOf: $0) } }
        u32(36 + pcm.count)
        wav.append(Data("WAVEfmt ".utf8))
        u32(16); u16(1); u16(1); u32(rate); u32(rate * 2); u16(2); u16(16)
        wav.append(Data("data".utf8))
        u32(pcm.count)
        wav.append(pcm)
        let url = dir.appendingPathComponent("tone.wav")
        try wav.write(to: url)
        return url
    }

    func testVoiceAnalysisIsAuditedAndWorkplaceGetsProsodyOnly() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let file = try toneFile(in: home)
        let governance = Governance(purpose: .researchWithConsent, actor: "t", home: home)
        _ = try VoiceAnalyzer(options: .init(measuresOnly: true), governance: governance).analyze(audioAt: file)
        let verification = try governance.verifyAuditLog()
        XCTAssertTrue(verification.isValid)
        XCTAssertEqual(verification.recordCount, 1)

        let workplace = Governance(purpose: .workplace, actor: "t", home: home)
        XCTAssertThrowsError(try VoiceAnalyzer(options: .init(), governance: workplace)) { error in
            XCTAssertTrue("\(error)".contains("5(1)(f)"), "\(error)")
        }
        let prosody = try VoiceAnalyzer(options: .init(measuresOnly: true), governance: workplace)
        XCTAssertNil(prosody.model)
        let analysis = try prosody.analyze(audioAt: file)
        XCTAssertTrue(analysis.segments.allSatisfy { $0.expression == nil })
    }
}
