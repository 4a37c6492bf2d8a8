import Foundation
import GRDB
import XCTest
@testable import MienStore
import MienTesting

/// Inputs the store_records fuzzer found (fuzz/regressions/store_records_*), replayed on a real audit log file the
/// way someone with write access to it would make them: plain SQL on a connection of their own.
final class FuzzRegressionTests: XCTestCase {
    /// store_records_audit_seq_int64_min.bin: a record's position stored as a huge negative REAL, which SQLite reads
    /// back as Int64.min, made `verify` trap computing the gap before it (`seq - 1`); Int64.max did the same one step
    /// later (`seq + 1`). Positions Mien never gives are now reported, and the rest of the log is still checked.
    func testPositionsAtTheEdgesOfInt64AreReportedNotATrap() throws {
        let regression = TestSupport.repository.appendingPathComponent("fuzz/regressions/store_records_audit_seq_int64_min.bin")
        XCTAssertTrue(FileManager.default.fileExists(atPath: regression.path))
        let edits = [
            ("UPDATE audit_record SET seq = -9223372036854775808 WHERE seq = 1", "a record is numbered -9223372036854775808"),
            ("UPDATE audit_record SET seq = 0 WHERE seq = 1", "a record is numbered 0"),
            ("UPDATE audit_record SET seq = 9223372036854775807 WHERE seq = 4", "records 4–9223372036854775806 are missing"),
        ]
        for (sql, expected) in edits {
            let home = try TemporaryHome()
            _ = try home.makeLog(count: 4)
            try home.tamper(sql)
            let verification = try home.openLog().verify()
            XCTAssertFalse(verification.isValid, sql)
            XCTAssertTrue(verification.description.contains(expected), "\(sql): \(verification)")
            for problem in verification.problems { _ = (problem.seq, problem.description) }
        }
    }

    /// A record holding a value Mien never writes (a blob where text belongs) is a typed error naming the file, not a
    /// GRDB error or a trap.
    func testARecordOfTheWrongTypeIsATypedError() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 3)
        try home.tamper("UPDATE audit_record SET hash = CAST(x'ff00fe' AS TEXT) WHERE seq = 2")
        try home.tamper("UPDATE audit_record SET actor = x'ff00fe' WHERE seq = 3")
        do {
            let verification = try home.openLog().verify()
            XCTAssertFalse(verification.isValid, "\(verification)")
        } catch let error as StoreError {
            guard case .auditLogUnreadable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, home.auditDB.path)
            XCTAssertTrue(error.description.contains("edited outside Mien"), error.description)
        }
    }
}
