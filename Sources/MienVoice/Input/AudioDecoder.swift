import CMienAudio

/// What the container says about the sound before decoding.
public struct AudioSourceInfo: Sendable, Codable, Hashable {
    public var sourceSampleRate: Int
    public var sourceChannels: Int
    /// The container's claim in seconds; nil when it does not say.
    public var declaredDuration: Double?
    public var codec: String
    public var container: String
}

/// Pulls a file's sound as mono floats at `sampleRate`, chunk by chunk, through FFmpeg (CMienAudio).
///
/// Memory stays bounded: only the chunk asked for and one decoded frame exist at a time, so a ten-hour recording
/// costs what a ten-second one does. Not thread-safe; one decoder per file and task.
public final class AudioDecoder {
    public let path: String
    public let sampleRate: Int
    public let info: AudioSourceInfo
    private let handle: OpaquePointer

    public init(path: String, sampleRate: Int = 16_000) throws {
        var err = MienAudioError()
        guard let h = mien_audio_open(path, Int32(sampleRate), &err) else {
            throw Self.error(err, path: path)
        }
        handle = h
        self.path = path
        self.sampleRate = sampleRate
        var i = MienAudioInfo()
        mien_audio_info(h, &i)
        info = AudioSourceInfo(
            sourceSampleRate: Int(i.source_rate), sourceChannels: Int(i.source_channels),
            declaredDuration: i.duration_s >= 0 ? i.duration_s : nil,
            codec: Self.string(i.codec), container: Self.string(i.container))
    }

    deinit { mien_audio_close(handle) }

    /// Up to `maxSamples` further samples; an empty array at the end of the sound.
    public func read(maxSamples: Int = 16_000) throws -> [Float] {
        var out = [Float](repeating: 0, count: max(0, maxSamples))
        var err = MienAudioError()
        let n = out.withUnsafeMutableBufferPointer { mien_audio_read(handle, $0.baseAddress, $0.count, &err) }
        if n < 0 { throw Self.error(err, path: path) }
        out.removeLast(out.count - n)
        return out
    }

    /// Damaged packets skipped so far (0 for a healthy file).
    public var skippedPackets: Int { mien_audio_skipped_packets(handle) }

    /// Decodes the whole file into memory: for short clips and tests. Long files go through `read` in a loop.
    public static func decodeAll(path: String, sampleRate: Int = 16_000) throws -> [Float] {
        let d = try AudioDecoder(path: path, sampleRate: sampleRate)
        var all: [Float] = []
        while true {
            let chunk = try d.read(maxSamples: 65_536)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func error(_ e: MienAudioError, path: String) -> VoiceError {
        let message = string(e.message)
        switch MienAudioStatus(rawValue: UInt32(e.code)) {
        case MIEN_AUDIO_ERR_NOT_FOUND: return .fileNotFound(path: path)
        case MIEN_AUDIO_ERR_EMPTY: return .emptyFile(path: path)
        case MIEN_AUDIO_ERR_UNREADABLE: return .unreadable(path: path, reason: message)
        case MIEN_AUDIO_ERR_CORRUPT: return .corrupt(path: path, reason: message)
        case MIEN_AUDIO_ERR_NO_AUDIO: return .noAudioTrack(path: path, reason: message)
        case MIEN_AUDIO_ERR_UNSUPPORTED: return .unsupportedCodec(path: path, reason: message)
        default: return .decodeFailed(path: path, reason: message.isEmpty ? "code \(e.code)" : message)
        }
    }
}
