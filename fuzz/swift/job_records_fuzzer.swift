// Coverage-guided fuzzing of the run file of `mien batch` as Mien reads it back (Sources/MienStore/Jobs), built by
// fuzz/run.sh with MienStore compiled into the harness (GRDB and swift-crypto linked from the package build).
//
// A run of six tasks (done with result rows, failed, parked, queued, running) is written once by SQLiteJobStore. Each
// input then edits it the way sqlite3 could: any column of any row of the run, task, result and mien_store tables set
// to a value of any SQLite type (NULL, integers up to Int64's edges, reals, text, bytes that are not UTF-8), rows
// deleted, and the task, result or run table rewritten without its constraints (so NULLs fit). Then the store is read
// and written the way `mien batch status`, `export`, a resumed run and `merge` do: counts, problems, manifest,
// forEachTask, prepare, recoverInterrupted, claim, complete, fail, retryFailed. Checked: each answers or throws a
// JobStoreError; nothing traps; the unedited file reads back as written. The file is restored after every input.
import Foundation
import GRDB

extension FuzzBytes {
    mutating func value() -> DatabaseValue {
        switch byte() % 7 {
        case 0: return .null
        case 1: return int64().databaseValue
        case 2: return String(decoding: raw(60), as: UTF8.self).databaseValue
        case 3: return Double(bitPattern: UInt64(bitPattern: int64())).databaseValue
        case 4: return Data(raw(60)).databaseValue
        case 5: return ["queued", "running", "done", "failed", "parked", "image", "video", "jobs"][Int(byte()) % 8]
            .databaseValue
        default: return "[\"a\",\"b\"]".databaseValue
        }
    }
}

private let folder = fuzzScratchPath("jobs")
private let runURL = folder.appendingPathComponent("run.sqlite")
private let manifest = RunManifest(fingerprint: "fp", options: "{}", models: "m", expressionClasses: ["a", "b"])
private let newTasks = (0..<6).map {
    NewTask(input: "/corpus/\($0).\($0 % 3 == 0 ? "mp4" : "jpg")", kind: $0 % 3 == 0 ? .video : .image, key: "k\($0)")
}
private let tables = ["mien_store", "run", "task", "result"]

private struct Fixture {
    let store: SQLiteJobStore
    let editor: DatabaseQueue
    /// Each table's CREATE statement, its indexes' and its rows as written by Mien.
    let schema: [String: String]
    let indexes: [String]
    let rows: [String: [Row]]
    let counts: TaskCounts
}

private let fixture: Fixture = {
    do {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteJobStore(url: runURL, exclusive: true)
        _ = try store.prepare(manifest, tasks: newTasks)
        for i in 0..<5 {
            let task = try store.claim(worker: "w")!
            switch i {
            case 0, 1: _ = try store.complete(task, rows: .documents([ResultRow(kind: "image", json: "{\"i\":\(i)}"),
                                                                      ResultRow(kind: "summary", json: "{}")]), seconds: 1)
            case 2: try store.fail(task, reason: "not an image", seconds: 0.5)
            case 3: _ = try store.recoverInterrupted(maxAttempts: 1)   // parked
            default: break                                               // left running
            }
        }
        var config = Configuration()
        config.foreignKeysEnabled = false
        let editor = try DatabaseQueue(path: runURL.path, configuration: config)
        let (schema, indexes, rows) = try editor.read { db in
            var schema: [String: String] = [:]
            var rows: [String: [Row]] = [:]
            for table in tables {
                schema[table] = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?",
                                                    arguments: [table])
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)")
            }
            let indexes = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            return (schema, indexes, rows)
        }
        atexit { try? FileManager.default.removeItem(at: folder) }
        return Fixture(store: store, editor: editor, schema: schema, indexes: indexes, rows: rows,
                       counts: try store.counts())
    } catch {
        fatalError("the fuzz harness cannot make its run file: \(error)")
    }
}()

private func columns(_ table: String) -> [String] { Array(fixture.rows[table]![0].columnNames) }

/// Restores after each input; tables and indexes are only recreated when an input changed them.
nonisolated(unsafe) private var restorer = FixtureRestore()

/// Puts the run back as Mien wrote it.
private func restore() {
    do {
        try restorer.restore(fixture.editor, rebuild: { db in
            for table in tables {
                let now = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table])
                if now != fixture.schema[table] {
                    try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
                    try db.execute(sql: fixture.schema[table]!)
                }
            }
            for index in fixture.indexes { try db.execute(sql: index.replacingOccurrences(of: "CREATE INDEX", with: "CREATE INDEX IF NOT EXISTS")) }
        }, refill: { db in
            for table in tables {
                try db.cachedStatement(sql: "DELETE FROM \(table)").execute()
                let marks = Array(repeating: "?", count: columns(table).count).joined(separator: ", ")
                let insert = try db.cachedStatement(sql: "INSERT INTO \(table) VALUES (\(marks))")
                for row in fixture.rows[table]! {
                    try insert.execute(arguments: StatementArguments(Array(row.databaseValues)))
                }
            }
        })
    } catch {
        fatalError("the fuzz harness cannot restore its run file: \(error)")
    }
}

private func edit(_ input: inout FuzzBytes) -> Bool {
    var edited = false
    do {
        // One transaction for all of an input's edits; the store reads the file only after it is committed.
        try fixture.editor.write { db in
            while !input.isEmpty {
                edited = true
                let table = tables[Int(input.byte()) % tables.count]
                switch input.byte() % 8 {
                case 0 where table != "mien_store":
                    let names = columns(table)
                    try db.execute(sql: """
                        PRAGMA legacy_alter_table = ON;
                        ALTER TABLE \(table) RENAME TO original;
                        CREATE TABLE \(table) (\(names.joined(separator: ", ")));
                        INSERT INTO \(table) SELECT * FROM original;
                        DROP TABLE original;
                        """)
                case 1:
                    // Cached statements: the same few texts come back in every input (preparing them anew was most
                    // of an edit's time); SQLite prepares them again by itself after a table is rewritten.
                    try db.cachedStatement(sql: "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) LIMIT 1 OFFSET ?)")
                        .execute(arguments: [Int(input.byte()) % 8])
                default:
                    let names = columns(table)
                    let column = names[Int(input.byte()) % names.count]
                    let offset = Int(input.byte()) % 8
                    let value = input.value()
                    try? db.cachedStatement(sql: """
                        UPDATE \(table) SET \(column) = ? WHERE rowid IN (SELECT rowid FROM \(table) LIMIT 1 OFFSET ?)
                        """).execute(arguments: [value, offset])
                }
            }
        }
    } catch {
        fatalError("the fuzz harness cannot edit its run file: \(error)")
    }
    return edited
}

/// The call answers, or throws a JobStoreError (only allowed when the file was edited).
private func expectTyped<T>(_ what: String, edited: Bool, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch let error as JobStoreError {
        precondition(edited, "\(what) failed on the file as Mien wrote it: \(error)")
        _ = error.description
        return nil
    } catch {
        preconditionFailure("\(what) threw an untyped error: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJobRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzBytes(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    let store = fixture.store
    let edited = edit(&input)
    let counts = expectTyped("counts", edited: edited) { try store.counts() }
    precondition(edited || counts == fixture.counts, "the unedited run reads back other counts: \(String(describing: counts))")
    _ = expectTyped("problems", edited: edited) { try store.problems(limit: 20) }
    _ = expectTyped("manifest", edited: edited) { try store.manifest() }
    var tasks = 0
    _ = expectTyped("forEachTask", edited: edited) {
        try store.forEachTask { task, rows in
            tasks += 1
            _ = (task.input, task.kind, task.state, rows.map(\.json))
        }
    }
    precondition(edited || tasks == newTasks.count, "the unedited run lists \(tasks) tasks")
    // What a resumed run does: the same tasks prepared again, interrupted ones queued again, then claimed.
    _ = expectTyped("prepare", edited: edited) { try store.prepare(manifest, tasks: newTasks) }
    _ = expectTyped("recoverInterrupted", edited: edited) { try store.recoverInterrupted(maxAttempts: 3) }
    if let claimed = expectTyped("claim", edited: edited, { try store.claim(worker: "fuzz") }), let claimed {
        _ = expectTyped("complete", edited: edited) {
            try store.complete(claimed, rows: .documents([ResultRow(kind: "image", json: "{}")]), seconds: 0)
        }
    }
    _ = expectTyped("retryFailed", edited: edited) { try store.retryFailed() }
    restore()
    return 0
}
