import Foundation
import GRDB
import XCTest
@testable import MienStore

final class AuditLogTests: XCTestCase {
    func testAppendedRecordsChainAndVerify() throws {
        let home = try TemporaryHome()
        let log = try home.makeLog(count: 5)
        let records = try log.records()
        XCTAssertEqual(records.map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertEqual(records[0].prevHash, AuditRecord.genesisHash)
        for (previous, record) in zip(records, records.dropFirst()) {
            XCTAssertEqual(record.prevHash, previous.hash)
        }
        let verification = try log.verify()
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.sealedCount, 5)
    }

    func testDurableSettings() throws {
        let home = try TemporaryHome()
        let log = try home.makeLog(count: 1)
        try log.queue.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA synchronous"), 2, "FULL")
        }
    }

    func testEveryTamperingIsDetectedAndNamesTheRecord() throws {
        for tampering in Tampering.allCases {
            let home = try TemporaryHome()
            _ = try home.makeLog(count: 6)
            try tampering.apply(to: home)
            let verification = try home.openLog().verify()
            XCTAssertFalse(verification.isValid, "\(tampering) went unnoticed")
            XCTAssertTrue(verification.description.contains(tampering.expected),
                          "\(tampering): \(verification)")
        }
    }

    func testAppendAfterTruncationIsRefusedSoTheCutIsNotResealed() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 6)
        try Tampering.truncateTail.apply(to: home)
        let log = try home.openLog()
        XCTAssertThrowsError(try log.append(AuditEntry(event: .analysis, actor: "a", purpose: "p", policy: "x"))) {
            XCTAssertTrue("\($0)".contains("does not match its seal"), "\($0)")
        }
        XCTAssertTrue(try log.verify().description.contains("cut off"))
    }

    func testAWrongKeyFailsVerification() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 3)
        let other = try AuditLog(url: home.auditDB, sealKey: .secret(String(repeating: "k", count: 40)))
        XCTAssertTrue(try other.verify().problems.contains(.sealForged))
    }

    func testRollbackToAnOlderLogAndSealIsCaughtByAHeadKeptElsewhere() throws {
        let home = try TemporaryHome()
        let log = try home.makeLog(count: 3)
        let copy = home.url.appendingPathComponent("old.sqlite")
        try log.queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(copy.path)'") }
        for _ in 0..<3 { try log.append(AuditEntry(event: .analysis, actor: "a", purpose: "p", policy: "x")) }
        let kept = try XCTUnwrap(try log.head())
        try log.queue.close()
        // The attacker puts back the older file with its own, genuine, older seal.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: home.auditDB.path + suffix) }
        try FileManager.default.moveItem(at: copy, to: home.auditDB)
        let restored = try home.openLog()
        XCTAssertTrue(try restored.verify().isValid, "the seal alone cannot see a rollback")
        let verification = try restored.verify(expectingAtLeast: kept)
        XCTAssertEqual(verification.problems, [.notExtendingKnownHead(count: 6)])
    }

    func testExportWritesOneJSONObjectPerRecord() throws {
        let home = try TemporaryHome()
        let log = try home.makeLog(count: 4)
        let out = home.url.appendingPathComponent("audit.jsonl")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        try log.exportJSONLines(to: handle)
        try handle.close()
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let decoded = try lines.map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
        XCTAssertEqual(decoded, try log.records())
        XCTAssertFalse(lines[0].contains("\"seq\":1,\"image"), "never the input itself")
    }

    func testSealKeyFileIsCreatedPrivateAndReused() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: home.keyFile.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let log = try FileManager.default.attributesOfItem(atPath: home.auditDB.path)
        XCTAssertEqual((log[.posixPermissions] as? NSNumber)?.intValue, 0o600, "the log names actors and purposes")
        XCTAssertTrue(try home.makeLog(count: 1).verify().isValid, "a second open uses the same key")
        XCTAssertThrowsError(try AuditLog(url: home.auditDB, sealKey: .secret("short")))
    }

    func testConcurrentAppendsFromManyConnectionsKeepOneChain() throws {
        let home = try TemporaryHome()
        _ = try home.openLog()
        // Separate AuditLog instances are separate SQLite connections, as separate processes would be.
        let logs = try (0..<4).map { _ in try home.openLog() }
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for _ in 0..<10 {
                _ = try? logs[i].append(AuditEntry(event: .analysis, actor: "w\(i)", purpose: "p", policy: "x"))
            }
        }
        let verification = try home.openLog().verify()
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.recordCount, 40)
    }
}
