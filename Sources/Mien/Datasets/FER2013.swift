import Foundation
import MienCore

/// FER2013 pixels with the original labels and the FER+ crowd votes, in the compact form of
/// `../shared/data/fer2013/` (three xz-compressed .npy arrays and labels.csv; see that folder's README).
public struct FER2013: Sendable {
    public enum Split: String, Sendable, CaseIterable { case training = "Training", publicTest = "PublicTest", privateTest = "PrivateTest" }

    public struct Row: Sendable {
        public var index: Int
        public var split: Split
        /// 0=angry … 6=neutral (FER2013 order).
        public var ferLabel: Int
        /// FER+ votes in FER+ order + unknown + NF (10 values).
        public var votes: [Int]
        public var pixelsExact: Bool

        /// FER+ majority among the 8 emotion classes; nil when "unknown" or "not a face" wins (FER+ drops those).
        public var ferPlusMajority: Int? {
            guard let top = votes.indices.max(by: { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) })
            else { return nil }
            return top < 8 && votes[top] > 0 ? top : nil
        }
    }

    public static let ferClasses = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    public static let ferPlusClasses = Circumplex.ferPlusOrder

    public let rows: [Row]
    /// 48×48 bytes per row, concatenated.
    public let pixels: [UInt8]

    public static let side = 48

    public func image(at row: Int) -> ArraySlice<UInt8> {
        pixels[row * 2304..<(row + 1) * 2304]
    }

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case malformed(String, String)

        public var description: String {
            switch self {
            case .missing(let p):
                return "\(p) is missing. The FER2013 data lives in ../shared/data/fer2013 (see its README); pass "
                    + "its folder with --data."
            case .malformed(let p, let why): return "\(p) is malformed: \(why)."
            }
        }
    }

    /// Loads labels and pixels. `splits` limits which rows are kept (pixels of other rows are dropped).
    public static func load(from directory: URL, splits: Set<Split> = Set(Split.allCases)) throws -> FER2013 {
        let labelsURL = directory.appendingPathComponent("labels.csv")
        guard let text = try? String(contentsOf: labelsURL, encoding: .utf8) else { throw LoadError.missing(labelsURL.path) }
        var all: [Row] = []
        for (n, line) in text.split(separator: "\n").enumerated() where n > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 16, let idx = Int(f[0]), let split = Split(rawValue: f[1]), let label = Int(f[2]) else {
                throw LoadError.malformed(labelsURL.path, "line \(n + 1) does not have the documented columns")
            }
            all.append(Row(index: idx, split: split, ferLabel: label, votes: f[6..<16].map { Int($0) ?? 0 },
                           pixelsExact: f[4] == "1"))
        }
        guard all.count == 35_887 else {
            throw LoadError.malformed(labelsURL.path, "expected 35887 rows, found \(all.count)")
        }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(all.count * 2304)
        for k in 0..<3 {
            let url = directory.appendingPathComponent(String(format: "pixels_%02d.npy.xz", k))
            guard FileManager.default.fileExists(atPath: url.path) else { throw LoadError.missing(url.path) }
            pixels += try npyBytes(try xzDecompress(url), path: url.path)
        }
        guard pixels.count == all.count * 2304 else {
            throw LoadError.malformed(directory.path, "pixel arrays hold \(pixels.count / 2304) images for \(all.count) labels")
        }
        let keep = all.filter { splits.contains($0.split) }
        if keep.count == all.count { return FER2013(rows: all, pixels: pixels) }
        var kept: [UInt8] = []
        kept.reserveCapacity(keep.count * 2304)
        for r in keep { kept += pixels[r.index * 2304..<(r.index + 1) * 2304] }
        return FER2013(rows: keep, pixels: kept)
    }

    /// The default location beside a checkout: ../shared/data/fer2013, or $MIEN_FER2013.
    public static func defaultDirectory() -> URL? {
        if let env = ProcessInfo.processInfo.environment["MIEN_FER2013"] { return URL(fileURLWithPath: env) }
        let source = URL(fileURLWithPath: #filePath)
        var dir = source
        for _ in 0..<6 {
            dir = dir.deletingLastPathComponent()
            let candidate = dir.appendingPathComponent("shared/data/fer2013")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("labels.csv").path) { return candidate }
        }
        return nil
    }

    /// `xz -dc` (xz-utils is part of every Debian install): avoids linking liblzma for a dataset-only path.
    static func xzDecompress(_ url: URL) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xz")
        process.arguments = ["-dc", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw LoadError.malformed(url.path, "cannot run xz (apt-get install xz-utils)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw LoadError.malformed(url.path, "xz could not decompress it") }
        return data
    }

    /// The payload of a uint8 .npy array (format 1.0/2.0 header, C order).
    static func npyBytes(_ data: Data, path: String) throws -> [UInt8] {
        let b = [UInt8](data.prefix(12))
        guard b.count >= 10, b[0] == 0x93, String(bytes: b[1..<6], encoding: .ascii) == "NUMPY" else {
            throw LoadError.malformed(path, "not a .npy array")
        }
        let major = b[6]
        let headerLength = major == 1 ? Int(b[8]) | Int(b[9]) << 8
            : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
        let start = (major == 1 ? 10 : 12) + headerLength
        let header = String(decoding: data.subdata(in: (major == 1 ? 10 : 12)..<start), as: UTF8.self)
        guard header.contains("u1"), header.contains("'fortran_order': False") else {
            throw LoadError.malformed(path, "expected a C-order uint8 array, header \(header)")
        }
        return [UInt8](data.subdata(in: start..<data.count))
    }
}
