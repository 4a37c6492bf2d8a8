import Foundation
import GRDB

/// Reading the run file's rows without GRDB's subscripts, which stop the process (`fatalError`) on a NULL or on a
/// value of another type. Mien never writes such values, but a run file can be edited outside Mien (sqlite3, a
/// schema rewritten without its NOT NULL constraints, a text column given a number or bytes that are not UTF-8):
/// `mien batch`, `status`, `export` and `merge` then end with `JobStoreError.damagedRow`, naming the file, the table,
/// the row and the column.
struct JobRowReader {
    let path: String
    let table: String

    /// The value of `column`; a NULL or a value `T` cannot hold is `JobStoreError.damagedRow`.
    func required<T: DatabaseValueConvertible>(_ row: Row, _ column: String, as type: T.Type = T.self) throws -> T {
        let value = try databaseValue(row, column)
        guard !value.isNull, let decoded = T.fromDatabaseValue(value) else {
            throw damaged(row, column, found: value, expected: T.self)
        }
        return decoded
    }

    /// The value of `column`, nil for NULL; a value `T` cannot hold is `JobStoreError.damagedRow`.
    func optional<T: DatabaseValueConvertible>(_ row: Row, _ column: String, as type: T.Type = T.self) throws -> T? {
        let value = try databaseValue(row, column)
        if value.isNull { return nil }
        guard let decoded = T.fromDatabaseValue(value) else {
            throw damaged(row, column, found: value, expected: T.self)
        }
        return decoded
    }

    private func databaseValue(_ row: Row, _ column: String) throws -> DatabaseValue {
        guard row.hasColumn(column) else {
            throw JobStoreError.damagedRow(path: path, table: table, row: rowName(row), column: column,
                                           problem: "the column is missing")
        }
        return try row.decode(DatabaseValue.self, forColumn: column)
    }

    private func damaged<T>(_ row: Row, _ column: String, found: DatabaseValue, expected: T.Type) -> JobStoreError {
        let kind: String
        switch expected {
        case is String.Type: kind = "text"
        case is Int.Type, is Int64.Type: kind = "an integer"
        case is Double.Type: kind = "a number"
        default: kind = "\(expected)"
        }
        let shown: String
        switch found.storage {
        case .null: shown = "NULL"
        case .int64(let v): shown = "the integer \(v)"
        case .double(let v): shown = "the number \(v)"
        case .string(let s): shown = "the text \"\(s.prefix(40))\(s.count > 40 ? "…" : "")\""
        case .blob(let d): shown = "a blob of \(d.count) byte(s)"
        }
        return JobStoreError.damagedRow(path: path, table: table, row: rowName(row), column: column,
                                        problem: "\(shown) where Mien writes \(kind)")
    }

    /// "id 12" when the row's id can be read, else "a row".
    private func rowName(_ row: Row) -> String {
        guard row.hasColumn("id"),
              let value = try? row.decode(DatabaseValue.self, forColumn: "id"),
              let id = Int64.fromDatabaseValue(value) else { return "a row" }
        return "id \(id)"
    }
}
