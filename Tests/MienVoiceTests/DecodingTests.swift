import Foundation
import XCTest
@testable import MienVoice

final class DecodingTests: XCTestCase {
    func testRavdessFlacDecodesAt16kMono() throws {
        let url = try AudioFixtures.ravdess("Actor_01/03-01-01-01-01-01-01.flac")
        let samples = try AudioDecoder.decodeAll(path: url.path)
        XCTAssertEqual(Double(samples.count) / 16_000, 3.303, accuracy: 0.01)  // labels.csv duration
        XCTAssertLessThanOrEqual(samples.map(abs).max() ?? 2, 1)
    }

    func testStereo44kWavIsDownmixedAndResampled() throws {
        let mono = AudioFixtures.tone(hz: 200, seconds: 1, rate: 44_100)
        let stereo = mono.flatMap { [$0, $0] }
        let url = AudioFixtures.temporaryURL("stereo44k.wav")
        try AudioFixtures.writeWAV(stereo, rate: 44_100, channels: 2, to: url)
        let d = try AudioDecoder(path: url.path)
        XCTAssertEqual(d.info.sourceSampleRate, 44_100)
        XCTAssertEqual(d.info.sourceChannels, 2)
        var all: [Float] = []
        while case let chunk = try d.read(maxSamples: 1_000), !chunk.isEmpty { all += chunk }
        XCTAssertEqual(all.count, 16_000, accuracy: 20)
        let a = try VoicePipeline(model: nil).analyze(samples: all, source: "stereo")
        XCTAssertEqual(a.segments.first?.prosody.f0MeanHz ?? 0, 200, accuracy: 4)
    }

    func testOneSampleFileGivesCleanEmptyResult() throws {
        let url = AudioFixtures.temporaryURL("one.wav")
        try AudioFixtures.writeWAV([0.3], to: url)
        let a = try VoicePipeline(model: nil).analyze(path: url.path)
        XCTAssertEqual(a.duration, 1.0 / 16_000, accuracy: 1e-9)
        XCTAssertTrue(a.segments.isEmpty)
        XCTAssertFalse(a.notes.isEmpty)
    }

    func testEmptyFile() throws {
        let url = AudioFixtures.temporaryURL("empty.wav")
        try Data().write(to: url)
        XCTAssertThrowsError(try AudioDecoder(path: url.path)) { XCTAssertEqual($0 as? VoiceError, .emptyFile(path: url.path)) }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try AudioDecoder(path: "/nonexistent/x.wav")) {
            XCTAssertEqual($0 as? VoiceError, .fileNotFound(path: "/nonexistent/x.wav"))
        }
    }

    func testCorruptHeaderIsATypedError() throws {
        let url = AudioFixtures.temporaryURL("corrupt.wav")
        var bytes = Data("RIFF\u{00}\u{00}\u{00}\u{00}WAVEfmt ".utf8)
        bytes.append(Data((0..<200).map { UInt8(($0 * 37) & 0xff) }))
        try bytes.write(to: url)
        XCTAssertThrowsError(try VoicePipeline(model: nil).analyze(path: url.path)) { error in
            guard case .corrupt = error as? VoiceError else { return XCTFail("expected .corrupt, got \(error)") }
            XCTAssertTrue("\(error)".contains(url.path))
        }
    }

    func testTextFileIsNotAudio() throws {
        let url = AudioFixtures.temporaryURL("notes.mp3")
        try Data("these are not the samples you are looking for\n".utf8).write(to: url)
        XCTAssertThrowsError(try AudioDecoder(path: url.path)) { XCTAssertNotNil($0 as? VoiceError) }
    }

    func testVideoWithoutAudioTrack() throws {
        guard let ffmpeg = AudioFixtures.which("ffmpeg") else {
            throw XCTSkip("ffmpeg not installed (apt-get install ffmpeg): cannot make a silent video fixture")
        }
        let url = AudioFixtures.temporaryURL("silent.mp4")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ffmpeg)
        p.arguments = ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x64:rate=10",
                       "-an", "-pix_fmt", "yuv420p", url.path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not make the fixture (no encoder?)") }
        XCTAssertThrowsError(try AudioDecoder(path: url.path)) { error in
            guard case .noAudioTrack = error as? VoiceError else { return XCTFail("expected .noAudioTrack, got \(error)") }
        }
    }

    func testVideoSoundtrackIsRead() throws {
        guard let ffmpeg = AudioFixtures.which("ffmpeg") else { throw XCTSkip("ffmpeg not installed") }
        let wav = AudioFixtures.temporaryURL("track.wav")
        try AudioFixtures.writeWAV(AudioFixtures.tone(hz: 180, seconds: 1.5, rate: 48_000), rate: 48_000, to: wav)
        let url = AudioFixtures.temporaryURL("with-audio.mkv")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ffmpeg)
        p.arguments = ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1.5:size=64x64:rate=10",
                       "-i", wav.path, "-c:v", "mpeg4", "-c:a", "flac", "-shortest", url.path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not make the fixture") }
        let a = try VoicePipeline(model: nil).analyze(path: url.path)
        XCTAssertEqual(a.segments.first?.prosody.f0MeanHz ?? 0, 180, accuracy: 3.6)
    }
}
