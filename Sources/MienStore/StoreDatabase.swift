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
            let queue = try DatabaseQueue(path: url.path, configuration: config)
            // After GRDB's WAL set-up, which chooses NORMAL (durable against a killed process, not a power cut).
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
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
}
