/// Why a sound could not be analysed. Every message names the input, the problem and what to do.
public enum VoiceError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileNotFound(path: String)
    case emptyFile(path: String)
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case noAudioTrack(path: String, reason: String)
    case unsupportedCodec(path: String, reason: String)
    case decodeFailed(path: String, reason: String)
    case modelMissing(path: String)
    case modelInvalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file or directory. Check the path."
        case .emptyFile(let p):
            return "\(p): the file is empty (0 bytes); there is no sound to analyse. Re-export or re-download it."
        case .unreadable(let p, let r):
            return "\(p): cannot be read (\(r)). Check its permissions."
        case .corrupt(let p, let r):
            return "\(p): \(r). Supported: WAV, FLAC, OGG, MP3 and the soundtrack of common videos; re-export the file."
        case .noAudioTrack(let p, let r):
            return "\(p): \(r). There is no sound to analyse; use a file with a soundtrack."
        case .unsupportedCodec(let p, let r):
            return "\(p): \(r). Convert it to WAV or FLAC (e.g. `ffmpeg -i IN -ac 1 OUT.wav`)."
        case .decodeFailed(let p, let r):
            return "\(p): decoding stopped: \(r). The file is damaged; re-export it."
        case .modelMissing(let p):
            return "voice model \(p) is missing. Restore Models/ (`git checkout Models/`) or set MIEN_MODELS."
        case .modelInvalid(let p, let r):
            return "voice model \(p) cannot be used: \(r)"
        }
    }
}
