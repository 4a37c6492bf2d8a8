import Foundation
import GRDB
import XCTest
@testable import MienStore
import MienTesting

/// A temporary Mien home holding a log and its key; removed after the test.
final class TemporaryHome {
    let url: URL
    var auditDB: URL { url.appendingPathComponent("audit.sqlite") }
    var keyFile: URL { url.appendingPathComponent("seal.key") }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mien-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func openLog() throws -> AuditLog { try AuditLog(url: auditDB, sealKey: .file(keyFile)) }

    /// A log with `count` analysis records.
    func makeLog(count: Int) throws -> AuditLog {
        let log = try openLog()
        for i in 1...count {
            try log.append(AuditEntry(event: .analysis, actor: "tester", purpose: "personal-use",
                                      inputDigest: String(repeating: "\(i % 10)", count: 64), source: "img\(i).jpg",
                                      produced: "measures,expressions", modelVersion: "test-1",
                                      policy: "eu-ai-act-2024/1", decision: "allowed"))
        }
        return log
    }

    /// What an attacker with write access to the file does: plain SQL on a connection of their own.
    func tamper(_ sql: String) throws {
        let attacker = try DatabaseQueue(path: auditDB.path)
        try attacker.write { db in try db.execute(sql: sql) }
        try attacker.close()
    }

    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Each way of tampering the tests try, with the record `verify` must name.
enum Tampering: CaseIterable {
    case editField, editAndRehash, deleteRow, reorder, truncateTail, forgeSeal, deleteSeal

    /// For a log of 6 records.
    var sql: String {
        let table = AuditRecord.databaseTableName
        switch self {
        case .editField:
            return "UPDATE \(table) SET purpose = 'workplace' WHERE seq = 3"
        case .editAndRehash:
            // The attacker can recompute a record's own hash (the recipe is public) but not the next link.
            return "UPDATE \(table) SET produced = 'measures' WHERE seq = 3"
        case .deleteRow:
            return "DELETE FROM \(table) WHERE seq = 3"
        case .reorder:
            return """
                UPDATE \(table) SET seq = -1 WHERE seq = 3; UPDATE \(table) SET seq = 3 WHERE seq = 4;
                UPDATE \(table) SET seq = 4 WHERE seq = -1
                """
        case .truncateTail:
            return "DELETE FROM \(table) WHERE seq > 4"
        case .forgeSeal:
            return "UPDATE audit_seal SET count = 4, headHash = (SELECT hash FROM \(table) WHERE seq = 4); "
                + "DELETE FROM \(table) WHERE seq > 4"
        case .deleteSeal:
            return "DELETE FROM audit_seal"
        }
    }

    /// Text `verify` must print for it.
    var expected: String {
        switch self {
        case .editField: return "record 3 was edited"
        case .editAndRehash: return "record 4 does not follow record 3"
        case .deleteRow: return "record 3 is missing"
        case .reorder: return "record 3 is out of order"
        case .truncateTail: return "the log was cut off: the seal names 6 records, the log ends at record 4"
        case .forgeSeal: return "the seal's signature does not match"
        case .deleteSeal: return "the seal is missing"
        }
    }

    /// Applies it to a 6-record log at `home`.
    func apply(to home: TemporaryHome) throws {
        try home.tamper(sql)
        if self == .editAndRehash {
            let attacker = try DatabaseQueue(path: home.auditDB.path)
            try attacker.write { db in
                guard var record = try AuditRecord.fetchOne(db, key: 3) else { return }
                record.hash = record.computedHash
                try record.update(db)
            }
            try attacker.close()
        }
    }
}

/// The built `mien` executable, run through the test targets' shared runner (`MienTesting`).
enum MienBinary {
    static func require() throws -> URL {
        let url = TestSupport.mien
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            XCTFail("the mien executable is not built; run 'swift build' before 'swift test'")
            throw XCTSkip("mien not built")
        }
        return url
    }

    /// Runs mien to completion; returns exit status and standard output plus error.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let run = try TestSupport.process(try require(), arguments, environment: environment, timeout: 120,
                                          what: "mien \(arguments.joined(separator: " "))")
        return (run.status, run.stdout + run.stderr)
    }
}
