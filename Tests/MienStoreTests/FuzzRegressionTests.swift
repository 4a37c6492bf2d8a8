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

    /// Values Mien never writes. Bytes where text belongs are read as they decode and show as an edit; a missing
    /// value (possible once the schema is rewritten without its NOT NULL constraints, as the fuzz harness does) is a
    /// typed error naming the file, not a GRDB error or a trap.
    func testRecordsOfTheWrongTypeAreReportedOrATypedError() throws {
        let home = try TemporaryHome()
        _ = try home.makeLog(count: 3)
        try home.tamper("UPDATE audit_record SET hash = CAST(x'ff00fe' AS TEXT) WHERE seq = 2")
        try home.tamper("UPDATE audit_record SET actor = x'ff00fe' WHERE seq = 3")
        let edited = try home.openLog().verify()
        XCTAssertTrue(edited.problems.contains(.edited(seq: 2)), "\(edited)")
        XCTAssertTrue(edited.problems.contains(.edited(seq: 3)), "\(edited)")
        try home.tamper("""
            ALTER TABLE audit_record RENAME TO original;
            CREATE TABLE audit_record (seq INTEGER PRIMARY KEY, time, event, actor, purpose, inputDigest, source,
                produced, modelVersion, policy, decision, operatorOverride, detail, prevHash, hash);
            INSERT INTO audit_record SELECT * FROM original;
            DROP TABLE original;
            UPDATE audit_record SET actor = NULL WHERE seq = 1;
            """)
        XCTAssertThrowsError(try home.openLog().verify()) { error in
            guard case StoreError.auditLogUnreadable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, home.auditDB.path)
            XCTAssertTrue("\(error)".contains("edited outside Mien"), "\(error)")
        }
    }

    /// api_keys_purpose_with_nul.bin: a key made with the purpose "\u{6}\u{FFFD}\0\0\0;". SQLite stores the NUL, GRDB
    /// reads text back only up to it, so the key was not found as it was made. `create` now takes purposes of the
    /// form Mien's have (lower-case words joined by '-') and refuses others with `APIKeyError.invalidPurpose`.
    func testAKeyPurposeThatCannotBeReadBackIsRefused() throws {
        let regression = TestSupport.repository.appendingPathComponent("fuzz/regressions/api_keys_purpose_with_nul.bin")
        let bytes = [UInt8](try Data(contentsOf: regression))
        XCTAssertEqual(bytes.first.map { $0 % 4 }, 2, "the harness's create target")
        let purpose = String(decoding: bytes[5...], as: UTF8.self)   // as the harness read it when it failed
        XCTAssertTrue(purpose.contains("\0"))
        let home = try TemporaryHome()
        let store = try APIKeyStore(url: home.url.appendingPathComponent("keys.sqlite"))
        for refused in [purpose, "", "Research", "research with consent", String(repeating: "a", count: 65)] {
            XCTAssertThrowsError(try store.create(name: "nn", purpose: refused)) { error in
                XCTAssertEqual(error as? APIKeyError, .invalidPurpose(refused))
            }
        }
        XCTAssertEqual(try store.list(), [])
        let made = try store.create(name: "nn", purpose: "research-with-consent")
        XCTAssertEqual(try store.key(forSecret: made.secret), made.key)
    }
}
