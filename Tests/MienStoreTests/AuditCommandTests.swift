import Foundation
import XCTest
@testable import MienStore

/// Drives the real `mien` executable: `mien audit verify` on tampered files, and SIGKILL during concurrent writes.
final class AuditCommandTests: XCTestCase {
    func testVerifyCommandPassesAnIntactLogAndNamesTheRecordForEachTampering() throws {
        let intact = try TemporaryHome()
        _ = try intact.makeLog(count: 6)
        let ok = try MienBinary.run(["audit", "verify", "--audit-db", intact.auditDB.path,
                                     "--seal-key", intact.keyFile.path])
        XCTAssertEqual(ok.status, 0, ok.output)
        XCTAssertTrue(ok.output.contains("audit log valid: 6 records"), ok.output)

        for tampering in Tampering.allCases {
            let home = try TemporaryHome()
            _ = try home.makeLog(count: 6)
            try tampering.apply(to: home)
            let result = try MienBinary.run(["audit", "verify", "--audit-db", home.auditDB.path,
                                             "--seal-key", home.keyFile.path])
            XCTAssertEqual(result.status, 1, "\(tampering): \(result.output)")
            XCTAssertTrue(result.output.contains("INVALID"), "\(tampering): \(result.output)")
            XCTAssertTrue(result.output.contains(tampering.expected), "\(tampering): \(result.output)")
        }
    }

    func testVerifyCommandCatchesARollbackAgainstAKeptHead() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 3)
        let head = try MienBinary.run(["audit", "head", "--audit-db", home.auditDB.path,
                                       "--seal-key", home.keyFile.path])
        XCTAssertEqual(head.status, 0, head.output)
        let flags = head.output.split(whereSeparator: \.isWhitespace).map(String.init)
        XCTAssertEqual(flags.first, "--expect-count")
        let fine = try MienBinary.run(["audit", "verify", "--audit-db", home.auditDB.path,
                                       "--seal-key", home.keyFile.path] + flags)
        XCTAssertEqual(fine.status, 0, fine.output)
        let wrong = try MienBinary.run(["audit", "verify", "--audit-db", home.auditDB.path,
                                        "--seal-key", home.keyFile.path, "--expect-count", "9",
                                        "--expect-head", String(repeating: "a", count: 64)])
        XCTAssertEqual(wrong.status, 1, wrong.output)
        XCTAssertTrue(wrong.output.contains("rolled back"), wrong.output)
    }

    func testExportCommandWritesJSONLines() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 3)
        let out = home.url.appendingPathComponent("out.jsonl")
        let result = try MienBinary.run(["audit", "export", "--audit-db", home.auditDB.path,
                                         "--seal-key", home.keyFile.path, "--output", out.path])
        XCTAssertEqual(result.status, 0, result.output)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[2].contains("\"seq\":3"), String(lines[2]))
    }

    func testVerifyCommandOnAMissingLogSaysSoAndCreatesNothing() throws {
        let home = try TemporaryHome()
        let result = try MienBinary.run(["audit", "verify", "--audit-db", home.auditDB.path,
                                         "--seal-key", home.keyFile.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("no audit log there"), result.output)
        XCTAssertEqual(try home.files(), [])
    }

    /// Several `mien` processes append at once to a brand-new log (racing to create the file and the key), each
    /// printing "ack SEQ HASH" after each durable append; all are SIGKILLed mid-burst. The chain must verify and
    /// hold every acknowledged record.
    func testKillDashNineDuringConcurrentWritersLosesNoAcknowledgedRecord() throws {
        let binary = try MienBinary.require()
        let home = try TemporaryHome()
        let writers = 4
        let acks = AckCollector()
        let errorsDir = FileManager.default.temporaryDirectory.appendingPathComponent("mien-writers-\(UUID())")
        try FileManager.default.createDirectory(at: errorsDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: errorsDir) }
        var processes: [Process] = []
        for w in 0..<writers {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["audit", "stress", "--count", "100000", "--actor", "writer\(w)",
                                 "--audit-db", home.auditDB.path, "--seal-key", home.keyFile.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            // Each writer's errors go to a file, so a writer that ends early says why.
            let errors = errorsDir.appendingPathComponent("writer\(w).err")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            pipe.fileHandleForReading.readabilityHandler = { handle in
                acks.append(handle.availableData, writer: w)
            }
            try process.run()
            processes.append(process)
        }
        // Let every writer get well into its burst, then kill all of them without warning.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !(0..<writers).allSatisfy({ acks.count(writer: $0) >= 15 }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        for process in processes { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.2)
        for (w, process) in processes.enumerated() {
            let errors = (try? String(contentsOf: errorsDir.appendingPathComponent("writer\(w).err"),
                                      encoding: .utf8)) ?? ""
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "writer \(w) ended by itself before the kill: \(errors)")
        }

        let acknowledged = acks.acknowledged()
        for w in 0..<writers {
            XCTAssertGreaterThanOrEqual(acks.count(writer: w), 15, "writer \(w) acknowledged too few records")
        }
        let log = try home.openLog()
        let verification = try log.verify()
        XCTAssertTrue(verification.isValid, "\(verification)")
        let stored = Dictionary(uniqueKeysWithValues: try log.records().map { ($0.seq, $0.hash) })
        for (seq, hash) in acknowledged {
            XCTAssertEqual(stored[seq], hash, "acknowledged record \(seq) is missing or different")
        }
        XCTAssertEqual(Set(acknowledged.map(\.seq)).count, acknowledged.count, "two writers acked one seq")
    }
}

/// Collects whole "ack SEQ HASH" lines from several child processes' pipes.
private final class AckCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var partial: [Int: String] = [:]
    private var lines: [Int: [(seq: Int64, hash: String)]] = [:]

    func append(_ data: Data, writer: Int) {
        lock.withLock {
            var text = (partial[writer] ?? "") + String(decoding: data, as: UTF8.self)
            while let newline = text.firstIndex(of: "\n") {
                let parts = text[..<newline].split(separator: " ")
                if parts.count == 3, parts[0] == "ack", let seq = Int64(parts[1]) {
                    lines[writer, default: []].append((seq, String(parts[2])))
                }
                text = String(text[text.index(after: newline)...])
            }
            partial[writer] = text
        }
    }

    func count(writer: Int) -> Int { lock.withLock { lines[writer]?.count ?? 0 } }
    func acknowledged() -> [(seq: Int64, hash: String)] { lock.withLock { lines.values.flatMap { $0 } } }
}
