import Foundation
import MienTesting
import XCTest
@testable import Mien
import MienCore
import MienStore

/// The trust layer as a user meets it: `mien analyze` under a purpose, its refusals, its audit records, what it
/// leaves on disk, and SIGKILL during a burst of audited analyses from several processes.
final class TrustEndToEndTests: XCTestCase {
    private let seal = String(repeating: "e2e-seal-key-", count: 4)
    private let face = TestSupport.fixture("video_frame_13s5_smile.jpg")

    private func environment(home: URL, tmp: URL? = nil) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["MIEN_HOME"] = home.path
        env["MIEN_SEAL_KEY"] = seal
        if let tmp { env["TMPDIR"] = tmp.path }
        return env
    }

    private func mien(_ arguments: [String], _ env: [String: String]) throws -> (status: Int32, output: String) {
        let run = try TestSupport.run(arguments, home: URL(fileURLWithPath: env["MIEN_HOME"] ?? NSTemporaryDirectory()),
                                      environment: env)
        return (run.status, run.output)
    }

    private func log(_ home: URL) throws -> AuditLog {
        try AuditLog(url: StoreLocation.auditDatabase(in: home), sealKey: .secret(seal))
    }

    func testWorkplaceRefusesExpressionsButMeasuresOnlyRunsAndBothAreAudited() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let env = environment(home: home)
        let refused = try mien(["analyze", "--purpose", "workplace", face.path], env)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("EU AI Act art. 5(1)(f)"), refused.output)
        XCTAssertTrue(refused.output.contains("--measures-only"), refused.output)

        let measured = try mien(["analyze", "--purpose", "workplace", "--measures-only", face.path], env)
        XCTAssertEqual(measured.status, 0, measured.output)
        XCTAssertTrue(measured.output.contains("purpose: workplace"), measured.output)

        let records = try log(home).records()
        XCTAssertEqual(records.map(\.event), ["refusal", "analysis"])
        XCTAssertEqual(records[1].produced, "measures")
        XCTAssertEqual(records[1].inputDigest, try Governance.digest(fileAt: face))
        XCTAssertTrue(try log(home).verify().isValid)
    }

    func testAnalysisWithoutRetentionLeavesOnlyTheAuditLog() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let tmp = try TestSupport.temporaryDirectory(self)
        let run = try mien(["analyze", "--measures-only", "--json", face.path], environment(home: home, tmp: tmp))
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "temporary files left")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: home.path))
        XCTAssertTrue(left.isSubset(of: ["audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm"]), "\(left)")
    }

    func testRetainedResultIsListedThenDeletedOnRequest() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let env = environment(home: home)
        XCTAssertEqual(try mien(["analyze", "--measures-only", "--retain", "1h", face.path], env).status, 0)
        let list = try mien(["results", "list"], env)
        let id = try XCTUnwrap(list.output.split(separator: " ").first.map(String.init), list.output)
        XCTAssertEqual(try mien(["results", "delete", id], env).status, 0)
        XCTAssertTrue(try mien(["results", "list"], env).output.contains("no stored results"))
        XCTAssertEqual(try log(home).records().map(\.event), ["analysis", "result-stored", "result-deleted"])
    }

    /// Three `mien analyze` processes each work through a folder of images; each prints an image's table line only
    /// after its audit record is durable. All are SIGKILLed mid-burst: the chain must verify and hold every image
    /// that was printed.
    func testKillDashNineDuringConcurrentAnalysesKeepsEveryPrintedImageInAValidChain() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let work = try TestSupport.temporaryDirectory(self)
        let env = environment(home: home)
        let writers = 3
        var processes: [Process] = []
        let printed = PrintedSources()
        for w in 0..<writers {
            let folder = work.appendingPathComponent("w\(w)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<200 {
                try FileManager.default.linkItem(at: face, to: folder.appendingPathComponent(String(format: "img%03d.jpg", i)))
            }
            let process = Process()
            process.executableURL = TestSupport.mien
            process.arguments = ["analyze", "--measures-only", folder.path]
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            pipe.fileHandleForReading.readabilityHandler = { printed.append($0.availableData, writer: w) }
            try process.run()
            processes.append(process)
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !(0..<writers).allSatisfy({ printed.count(writer: $0) >= 8 }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        for process in processes { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.2)

        let log = try log(home)
        let verification = try log.verify()
        XCTAssertTrue(verification.isValid, "\(verification)")
        let audited = Set(try log.records().map(\.source))
        for w in 0..<writers {
            XCTAssertGreaterThanOrEqual(printed.count(writer: w), 8, "writer \(w) printed too few images")
        }
        for source in printed.all() {
            XCTAssertTrue(audited.contains(source), "\(source) was printed but is not in the audit log")
        }
    }
}

/// The image paths each `mien analyze` printed at the start of an image's table.
private final class PrintedSources: @unchecked Sendable {
    private let lock = NSLock()
    private var partial: [Int: String] = [:]
    private var sources: [Int: [String]] = [:]

    func append(_ data: Data, writer: Int) {
        lock.withLock {
            var text = (partial[writer] ?? "") + String(decoding: data, as: UTF8.self)
            while let newline = text.firstIndex(of: "\n") {
                let line = text[..<newline]
                if line.hasPrefix("/"), let path = line.components(separatedBy: "  ").first {
                    sources[writer, default: []].append(path)
                }
                text = String(text[text.index(after: newline)...])
            }
            partial[writer] = text
        }
    }

    func count(writer: Int) -> Int { lock.withLock { sources[writer]?.count ?? 0 } }
    func all() -> [String] { lock.withLock { sources.values.flatMap { $0 } } }
}
