import Foundation
import XCTest

/// Sounds made at test time: synthetic tones written as 16-bit PCM WAV, RAVDESS clips from ../shared/data.
enum AudioFixtures {
    static func temporaryURL(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mien-voice-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    /// A harmonic tone (fundamental plus two weaker harmonics, like a voiced vowel), amplitude `peak`.
    static func tone(hz: Double, seconds: Double, rate: Int = 16_000, peak: Double = 0.5) -> [Float] {
        let n = Int(seconds * Double(rate))
        return (0..<n).map { i in
            let t = Double(i) / Double(rate)
            let w = 2 * Double.pi * hz * t
            return Float(peak * (sin(w) + 0.5 * sin(2 * w) + 0.25 * sin(3 * w)) / 1.75)
        }
    }

    /// Interleaved 16-bit PCM WAV; values beyond ±1 are clipped, as a recorder would.
    static func writeWAV(_ samples: [Float], rate: Int = 16_000, channels: Int = 1, to url: URL) throws {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let bytes = samples.count * 2
        d.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + bytes)); d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(UInt16(channels)); u32(UInt32(rate))
        u32(UInt32(rate * channels * 2)); u16(UInt16(channels * 2)); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(UInt32(bytes))
        for s in samples {
            let v = Int16(max(-32768, min(32767, (Double(s) * 32767).rounded())))
            withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
        }
        try d.write(to: url)
    }

    static let ravdessRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/voice/ravdess")

    /// A RAVDESS clip by relative path, or a skip that says where the data should be.
    static func ravdess(_ relative: String) throws -> URL {
        let url = ravdessRoot.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("RAVDESS not found at \(ravdessRoot.path) (see ../shared/data/voice/ravdess/README.md)")
        }
        return url
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }
}
