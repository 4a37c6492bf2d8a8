import GRDB

/// Puts a store harness's database back after each input, in one transaction (a commit per statement was a quarter
/// of an input's time): `rebuild` runs only when an input changed the schema since the last restore (SQLite's
/// `PRAGMA schema_version`), then `refill` writes the original rows again.
struct FixtureRestore {
    private var restoredSchema: Int32 = -1

    mutating func restore(_ editor: DatabaseQueue, rebuild: (Database) throws -> Void,
                          refill: (Database) throws -> Void) throws {
        let last = restoredSchema
        try editor.write { db in
            if try Self.schemaVersion(db) != last { try rebuild(db) }
            try refill(db)
        }
        restoredSchema = try editor.read(Self.schemaVersion)
    }

    private static func schemaVersion(_ db: Database) throws -> Int32 {
        try Int32.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
    }
}
