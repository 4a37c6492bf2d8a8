import Foundation

/// What stops `mien batch` as a whole (a bad input never does: it becomes a failed task).
public enum BatchError: Error, Sendable, CustomStringConvertible {
    case badShard(String)
    case noInputs
    case worker(String)
    case videoStopped(path: String, reason: String, framesAnalysed: Int)
    case mergeConflict(input: String, files: [String])

    public var description: String {
        switch self {
        case .badShard(let detail):
            return "bad shard '\(detail)': give --shard i/N with 0 ≤ i < N (e.g. --shard 0/3)."
        case .noInputs:
            return "no inputs: give image, video or audio files, folders, globs or @list files."
        case .worker(let detail):
            // Store errors already say how to resume; others get it said here, once.
            let said = detail.hasSuffix(".") ? detail : detail + "."
            return said.lowercased().contains("resume") ? "a worker stopped: \(said)"
                : "a worker stopped: \(said) Re-run the same command to resume."
        case .videoStopped(let path, let reason, let frames):
            return "\(path): the video stopped early after \(frames) analysed frame(s): \(reason)"
        case .mergeConflict(let input, let files):
            return "\(input) is in more than one shard with different results (\(files.joined(separator: ", "))); "
                + "merge shards of one corpus made with one set of options."
        }
    }
}
