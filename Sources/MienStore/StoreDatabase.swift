import Foundation
import GRDB

/// Opens SQLite files the way every Mien store needs them: WAL with synchronous=FULL, so a committed write is on
/// disk before the call returns (a killed process or a power cut loses no acknowledged record), and a busy timeout
/// so several processes can write the same file one after another.
enum StoreDatabase {
    /// Long enough for a burst of writers each holding the lock for one fsync; short enough to report a stuck lock.
    static let busyTimeout: TimeInterval = 30

    static func open(_ url: URL, secureDelete: Bool = false, migrator: DatabaseMigrator) throws -> DatabaseQueue {
        do {
            try StoreLocation.ensureDirectory(for: url)
            // Created empty and private first: SQLite takes an empty file as a new database, and gives its -wal
            // and -shm files the main file's permissions. The log names actors and purposes.
            if !FileManager.default.fileExists(atPath: url.path) {
                FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            var config = Configuration()
            config.journalMode = .wal
            config.busyMode = .timeout(busyTimeout)
            if secureDelete {
                config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            }
            let queue = try openRetryingWhileBusy(url, configuration: config)
            do {
                try migrator.migrate(queue)
            } catch {
                // Two processes opening a new file at once can both see it unmigrated; the loser's CREATE TABLE
                // fails after the winner commits. A second pass sees the schema as applied.
                try migrator.migrate(queue)
            }
            return queue
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: url.path, reason: "\(error)")
        }
    }

    /// `PRAGMA journal_mode = WAL` on a file that other processes are opening at the same moment can fail with
    /// SQLITE_BUSY at once: SQLite does not call the busy handler there. Seen as 1 failed writer in 48 when four
    /// `mien audit stress` processes created one new log together (AuditCommandTests). So the open is retried,
    /// with growing pauses, for as long as the busy timeout.
    static func openRetryingWhileBusy(_ url: URL, configuration: Configuration) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var pause = 0.005
        while true {
            do {
                let queue = try DatabaseQueue(path: url.path, configuration: configuration)
                // After GRDB's WAL set-up, which chooses NORMAL (durable against a killed process, not a power cut).
                try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                return queue
            } catch let error as DatabaseError
                        where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                Thread.sleep(forTimeInterval: pause * Double.random(in: 0.5...1.5))
                pause = min(pause * 2, 0.2)
            }
        }
    }
}
