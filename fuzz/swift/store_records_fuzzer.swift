// Coverage-guided fuzzing of the records Mien reads back from its stores (Sources/MienStore), built by fuzz/run.sh
// with MienStore compiled into the harness (GRDB, swift-crypto and MienCore linked from the package build).
//
// The first byte chooses the target:
//   even: the audit log as `mien audit verify` reads it (AuditLog.verify on a database): a valid hash chain of up to
//         seven records and its seal are written, then the bytes edit it the way someone with write access to the
//         file could: any column of any record or of the seal set to a value of any SQLite type, records renumbered,
//         swapped or deleted, bytes that are not UTF-8 stored as text, the seal dropped, a head expected. Checked: verify answers with problems or a typed
//         StoreError, never a trap; an unedited log verifies clean.
//   odd:  the job store's result line files (ResultRows.lineFile): the bytes are written to a file and read back by
//         LineReader, each line parsed by ResultRow(line:). Checked: the lines are the file's non-empty lines, and a
//         row written back as a line parses to itself.
import Crypto
import Foundation
import GRDB

extension FuzzBytes {
    mutating func value() -> DatabaseValue {
        switch byte() % 6 {
        case 0: return .null
        case 1: return int64().databaseValue
        case 2: return String(decoding: raw(80), as: UTF8.self).databaseValue
        case 3: return Double(bitPattern: UInt64(bitPattern: int64())).databaseValue
        case 4: return Data(raw(80)).databaseValue
        default: return AuditRecord.genesisHash.databaseValue
        }
    }
}

private let auditColumns = ["seq", "time", "event", "actor", "purpose", "inputDigest", "source", "produced",
                            "modelVersion", "policy", "decision", "operatorOverride", "detail", "prevHash", "hash"]
private let sealColumns = ["id", "count", "headHash", "mac"]
private let fuzzKey = SymmetricKey(data: Data(repeating: 0x5A, count: 32))
private let recordMarks = Array(repeating: "?", count: auditColumns.count).joined(separator: ", ")

/// One in-memory database for the whole run, emptied before each input. The tables carry no types or constraints:
/// whoever edits the file can rewrite the schema too, and SQLite then stores any value in any column.
private let database: DatabaseQueue = {
    do {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE audit_record (\(auditColumns.joined(separator: ", ")))")
            try db.execute(sql: "CREATE TABLE audit_seal (\(sealColumns.joined(separator: ", ")))")
        }
        return queue
    } catch {
        fatalError("the fuzz harness cannot create its in-memory database: \(error)")
    }
}()

private func fuzzAuditLog(_ input: inout FuzzBytes) {
    var records: [AuditRecord] = []
    let count = Int(input.byte() % 8)
    for i in 0..<count {
        records.append(AuditRecord(
            seq: Int64(i + 1), time: "2026-12-01T15:00:0\(i).000Z", event: i % 3 == 0 ? "refusal" : "analysis",
            actor: "fuzz", purpose: "research-with-consent", inputDigest: String(repeating: "ab", count: 32),
            source: "photo-\(i).jpg", produced: "measures", modelVersion: i % 2 == 0 ? nil : "mien-ferplus-1.1.0",
            policy: "mien-policy/1", decision: "allowed", operatorOverride: nil, detail: i == 4 ? "detail" : nil,
            prevHash: records.last?.hash ?? AuditRecord.genesisHash))
    }
    func value(_ text: String?) -> DatabaseValue { text?.databaseValue ?? .null }
    var rows: [[DatabaseValue]] = records.map { r in
        [r.seq.databaseValue, value(r.time), value(r.event), value(r.actor), value(r.purpose), value(r.inputDigest),
         value(r.source), value(r.produced), value(r.modelVersion), value(r.policy), value(r.decision),
         value(r.operatorOverride), value(r.detail), value(r.prevHash), value(r.hash)]
    }
    var seal: [DatabaseValue]? = records.last.map {
        let s = AuditSeal(count: $0.seq, headHash: $0.hash, key: fuzzKey)
        return [s.id.databaseValue, s.count.databaseValue, s.headHash.databaseValue, s.mac.databaseValue]
    }
    var expected: (count: Int64, headHash: String)?
    var edited = false
    var blobsAsText = false
    while !input.isEmpty {
        edited = true
        let op = input.byte() % 8
        let r = rows.isEmpty ? 0 : Int(input.byte()) % rows.count
        switch op {
        case 0 where !rows.isEmpty: rows[r][0] = input.int64().databaseValue
        case 1 where !rows.isEmpty: rows[r][Int(input.byte()) % auditColumns.count] = input.value()
        case 2 where rows.count > 1:
            let other = Int(input.byte()) % rows.count
            rows.swapAt(r, other)
            let seq = rows[r][0]
            rows[r][0] = rows[other][0]
            rows[other][0] = seq
        case 3 where !rows.isEmpty: rows.remove(at: r)
        case 4:
            if seal == nil { seal = [1.databaseValue, 0.databaseValue, "".databaseValue, "".databaseValue] }
            seal?[Int(input.byte()) % sealColumns.count] = input.value()
        case 5: seal = nil
        case 6:
            let head = records.isEmpty ? AuditRecord.genesisHash : records[r % records.count].hash
            expected = (input.int64(), input.byte() % 2 == 0 ? head : String(decoding: input.raw(64), as: UTF8.self))
        case 7: blobsAsText = true   // text that is not UTF-8, which SQLite stores as given
        default: break
        }
    }
    do {
        let verification = try database.write { db -> AuditVerification in
            // Cached statements: preparing each again (and GRDB's authorizer with it) was a fifth of the run's time.
            try db.cachedStatement(sql: "DELETE FROM audit_record").execute()
            try db.cachedStatement(sql: "DELETE FROM audit_seal").execute()
            let insert = try db.cachedStatement(sql: "INSERT INTO audit_record VALUES (\(recordMarks))")
            for row in rows {
                try insert.execute(arguments: StatementArguments(row))
            }
            if let seal {
                try db.cachedStatement(sql: "INSERT INTO audit_seal VALUES (?, ?, ?, ?)")
                    .execute(arguments: StatementArguments(seal))
            }
            if blobsAsText {
                for (table, columns) in [("audit_record", auditColumns), ("audit_seal", sealColumns)] {
                    for column in columns {
                        try db.execute(sql: """
                            UPDATE \(table) SET \(column) = CAST(\(column) AS TEXT) WHERE typeof(\(column)) = 'blob'
                            """)
                    }
                }
            }
            return try AuditLog.verify(db, path: "fuzz.sqlite", key: fuzzKey, expected: expected)
        }
        _ = verification.description
        for problem in verification.problems { _ = (problem.seq, problem.description) }
        precondition(edited || verification.isValid, "an unedited log did not verify: \(verification)")
    } catch let error as StoreError {
        precondition(edited, "an unedited log could not be read: \(error)")
        _ = error.description
    } catch {
        preconditionFailure("verify threw an untyped error: \(error)")
    }
}

/// On tmpfs where there is one: a file is written for every input.
private let lineFile = fuzzScratchPath("lines")

private func fuzzResultLines(_ bytes: ArraySlice<UInt8>) {
    do {
        try Data(bytes).write(to: lineFile)
        var lines: [Substring] = []
        try LineReader.forEachLine(in: lineFile) { lines.append($0) }
        let expected = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
        precondition(lines.map(String.init) == expected, "LineReader's lines differ from the file's")
        for line in lines {
            guard let row = ResultRow(line: line) else {
                precondition(!line.contains("\t"), "a line with a tab was refused")
                continue
            }
            precondition(!row.kind.contains("\t"), "a row's kind holds a tab")
            precondition(ResultRow(line: Substring(row.line)) == row, "a row does not survive its line form")
        }
    } catch {
        preconditionFailure("reading a result line file threw: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoreRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    if first % 2 == 0 {
        var input = FuzzBytes(bytes: bytes, position: 1)
        fuzzAuditLog(&input)
    } else {
        fuzzResultLines(bytes[1...])
    }
    return 0
}
