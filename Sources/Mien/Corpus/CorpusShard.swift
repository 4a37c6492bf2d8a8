import Crypto
import Foundation

/// A stable slice of a corpus for clusters without a shared database: shard `index` of `count` takes the inputs
/// whose path hashes (SHA-256, first 8 bytes) to it, so every node computes the same split without talking to the
/// others, and adding files moves only those files.
public struct CorpusShard: Sendable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else { throw BatchError.badShard("\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// `i/N`, zero-based.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw BatchError.badShard(text) }
        try self.init(index: i, count: n)
    }

    /// Slurm job arrays (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, ids counted from
    /// `SLURM_ARRAY_TASK_MIN`, default 0) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the shard count
    /// in `MIEN_SHARD_COUNT`, since Kubernetes does not pass `completions` to the pod). Nil when neither is set.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> CorpusShard? {
        if let id = env["SLURM_ARRAY_TASK_ID"].flatMap({ Int($0) }) {
            guard let count = env["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }) else {
                throw BatchError.badShard("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
            }
            let first = env["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            return try CorpusShard(index: id - first, count: count)
        }
        if let index = env["JOB_COMPLETION_INDEX"].flatMap({ Int($0) }) {
            guard let count = env["MIEN_SHARD_COUNT"].flatMap({ Int($0) }) else {
                throw BatchError.badShard("JOB_COMPLETION_INDEX is set; set MIEN_SHARD_COUNT to the Job's completions")
            }
            return try CorpusShard(index: index, count: count)
        }
        return nil
    }

    public func contains(_ path: String) -> Bool {
        let digest = Array(SHA256.hash(data: Data(path.utf8)))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(value % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}
