// The fuzz input as a stream of choices, shared by the store harnesses (store_records, api_keys, job_records;
// fuzz/run.sh compiles it beside each). Reading past the end yields zeros, so every input is a complete program.
import Foundation

struct FuzzBytes {
    let bytes: [UInt8]
    var position = 0
    var isEmpty: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// Small numbers most of the time (positions and counts), any 64-bit value otherwise.
    mutating func int64() -> Int64 {
        let kind = byte()
        if kind & 0x80 == 0 { return Int64(Int8(bitPattern: kind << 1) >> 1) }
        var v: UInt64 = 0
        for _ in 0..<8 { v = v << 8 | UInt64(byte()) }
        return Int64(bitPattern: v)
    }

    mutating func raw(_ maxCount: Int) -> [UInt8] {
        let n = min(Int(byte()) % (maxCount + 1), bytes.count - position)
        defer { position += n }
        return n > 0 ? Array(bytes[position..<position + n]) : []
    }

    mutating func text(_ maxCount: Int) -> String { String(decoding: raw(maxCount), as: UTF8.self) }
}

/// A scratch path (folder or file) for one harness process: on tmpfs where there is one (every store write is an
/// fsync).
func fuzzScratchPath(_ name: String) -> URL {
    let shm = URL(fileURLWithPath: "/dev/shm")
    let base = FileManager.default.fileExists(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
    return base.appendingPathComponent("mien-fuzz-\(name)-\(getpid())")
}
