import Foundation
import XCTest
@testable import MienVoice

final class ProsodyTests: XCTestCase {
    func testF0OfA220HzToneWithin2Percent() throws {
        let tone = AudioFixtures.tone(hz: 220, seconds: 1.5)
        let a = try VoicePipeline(model: nil).analyze(samples: tone, source: "220 Hz")
        XCTAssertEqual(a.segments.count, 1)
        let f0 = try XCTUnwrap(a.segments.first?.prosody.f0MeanHz)
        XCTAssertEqual(f0, 220, accuracy: 220 * 0.02)
        // A steady synthetic tone has (near) no jitter and a high HNR.
        XCTAssertLessThan(a.segments.first?.prosody.jitterPercent ?? 100, 0.5)
        XCTAssertGreaterThan(a.segments.first?.prosody.hnrDB ?? 0, 20)
    }

    func testYinAcrossTheVoiceRange() {
        let pitch = YinPitch()
        for hz in [80.0, 120, 220, 350, 500] {
            let x = AudioFixtures.tone(hz: hz, seconds: 0.1, rate: 8_000)
            let est = x.withUnsafeBufferPointer { pitch.estimate($0.baseAddress!) }
            XCTAssertEqual(Double(est.f0), hz, accuracy: hz * 0.02, "\(hz) Hz")
        }
    }

    func testSilenceGivesACleanEmptyResult() throws {
        let a = try VoicePipeline(model: nil).analyze(samples: [Float](repeating: 0, count: 32_000), source: "silence")
        XCTAssertTrue(a.segments.isEmpty)
        XCTAssertEqual(a.summary.speechSeconds, 0)
        XCTAssertNil(a.summary.f0MeanHz)
        XCTAssertEqual(a.seconds.count, 2)
        XCTAssertTrue(try String(decoding: VoiceReportWriter.json(a), as: UTF8.self).contains("\"segments\" : ["))
    }

    func testClippedAudioStillMeasures() throws {
        let url = AudioFixtures.temporaryURL("clipped.wav")
        let loud = AudioFixtures.tone(hz: 150, seconds: 1.2, peak: 4)  // 12 dB over full scale: clipped square-ish
        try AudioFixtures.writeWAV(loud, to: url)
        let a = try VoicePipeline(model: nil).analyze(path: url.path)
        XCTAssertEqual(a.segments.count, 1)
        XCTAssertEqual(try XCTUnwrap(a.segments.first?.prosody.f0MeanHz), 150, accuracy: 3)
        XCTAssertTrue(VoiceReportWriter.csv(a).hasPrefix("segment,start_s,end_s,speech_s"))
    }

    func testPausesSplitSegments() throws {
        let gap = [Float](repeating: 0, count: 16_000)  // 1 s silence ends a segment
        let a = try VoicePipeline(model: nil).analyze(
            samples: gap + AudioFixtures.tone(hz: 200, seconds: 0.8) + gap + AudioFixtures.tone(hz: 300, seconds: 0.8) + gap,
            source: "two tones")
        XCTAssertEqual(a.segments.count, 2)
        guard a.segments.count == 2 else { return }
        XCTAssertEqual(a.segments[0].start, 0.9, accuracy: 0.1)
        XCTAssertEqual(a.summary.pauseCount, 1)
        XCTAssertEqual(a.segments[1].prosody.f0MeanHz ?? 0, 300, accuracy: 6)
    }

    func testRavdessUtteranceIsOneSegmentWithPlausibleProsody() throws {
        let url = try AudioFixtures.ravdess("Actor_02/03-01-01-01-01-01-02.flac")  // female, neutral
        let a = try VoicePipeline(model: nil).analyze(path: url.path)
        XCTAssertEqual(a.segments.count, 1)
        let p = try XCTUnwrap(a.segments.first).prosody
        XCTAssertEqual(p.f0MeanHz ?? 0, 200, accuracy: 80)
        XCTAssertEqual(p.syllableRate ?? 0, 4, accuracy: 2.5)  // "Kids are talking by the door": 7 syllables
        XCTAssertEqual(a.audio?.codec, "flac")
    }
}
