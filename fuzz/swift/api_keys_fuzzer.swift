// Coverage-guided fuzzing of the API key store of `mien serve` (Sources/MienStore/Keys/APIKeyStore.swift), built by
// fuzz/run.sh with MienStore compiled into the harness (GRDB and swift-crypto linked from the package build).
//
// The server takes the secret from untrusted bytes (`Authorization: Bearer <secret>`, parsed by HummingbirdAuth; on
// the WebSocket the `token` query item or the `mien_token` cookie) and looks it up with `key(forSecret:)`. The key
// database itself is the operator's, but can be edited outside Mien. The first byte chooses the target:
//   0: the bytes as a token, as text the way Swift decodes them (not UTF-8 bytes are replaced): no key is found,
//      unless the text is a key's secret.
//   1: a known secret edited (a character changed, cut, extended, upper-cased, spaces around it): found exactly when
//      the edited text is still the secret, and then it is the key with that secret.
//   2: a name and a purpose as `mien keys create` would get them: created exactly when the name is 1–64 letters,
//      digits, '.', '_' or '-', and not taken; the new key is listed, found by its secret, and revocable.
//   3: the key rows edited with SQL on a connection of its own (any column of any row set to a value of any SQLite
//      type, rows added or deleted, the table rewritten without its constraints): list, lookup, hasValidKeys and
//      revoke answer, or throw `APIKeyError`; nothing traps.
import Foundation
import GRDB

extension FuzzBytes {
    mutating func value() -> DatabaseValue {
        switch byte() % 6 {
        case 0: return .null
        case 1: return Int64(Int8(bitPattern: byte())).databaseValue
        case 2: return text(40).databaseValue
        case 3: return (Double(Int8(bitPattern: byte())) / 3).databaseValue
        case 4: return Data(raw(40)).databaseValue
        default: return "research-with-consent".databaseValue
        }
    }
}

private let folder = fuzzScratchPath("keys")
private let keysURL = folder.appendingPathComponent("keys.sqlite")

/// The store as the server opens it, two keys made once (their secrets are random, so they are kept here), and a
/// second connection that edits the file the way sqlite3 would.
private let fixture: (store: APIKeyStore, editor: DatabaseQueue, secrets: [String: String], rows: [Row]) = {
    do {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try APIKeyStore(url: keysURL)
        var secrets: [String: String] = [:]
        for (name, purpose) in [("alice", "research-with-consent"), ("bob.example_2", "personal-use")] {
            secrets[name] = try store.create(name: name, purpose: purpose).secret
        }
        try store.revoke(name: "bob.example_2")
        let editor = try DatabaseQueue(path: keysURL.path)
        let rows = try editor.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY name") }
        atexit { try? FileManager.default.removeItem(at: folder) }
        return (store, editor, secrets, rows)
    } catch {
        fatalError("the fuzz harness cannot make its key database: \(error)")
    }
}()

private let columns = ["name", "purpose", "prefix", "secretHash", "created", "revoked"]

/// Restores after each input; the table is only recreated when an input rewrote it.
nonisolated(unsafe) private var restorer = FixtureRestore()

/// Puts the two original keys back (and the original table, if an input rewrote it).
private func restore() {
    do {
        try restorer.restore(fixture.editor, rebuild: { db in
            let schema = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'api_keys'") ?? ""
            if !schema.contains("NOT NULL") {
                try db.execute(sql: "DROP TABLE IF EXISTS api_keys")
                try db.execute(sql: """
                    CREATE TABLE "api_keys" ("name" TEXT PRIMARY KEY, "purpose" TEXT NOT NULL, "prefix" TEXT NOT NULL,
                    "secretHash" TEXT NOT NULL UNIQUE, "created" DOUBLE NOT NULL, "revoked" DOUBLE)
                    """)
            }
        }, refill: { db in
            try db.cachedStatement(sql: "DELETE FROM api_keys").execute()
            let insert = try db.cachedStatement(sql: "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)")
            for row in fixture.rows {
                try insert.execute(arguments: StatementArguments(columns.map { row[$0] as DatabaseValue }))
            }
        })
    } catch {
        fatalError("the fuzz harness cannot restore its key database: \(error)")
    }
}

private func expectTyped<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch let error as APIKeyError {
        _ = error.description
        return nil
    } catch {
        preconditionFailure("\(what) threw an untyped error: \(error)")
    }
}

private func lookUp(_ token: String) {
    let found = expectTyped("key(forSecret:)") { try fixture.store.key(forSecret: token) }
    let owner = fixture.secrets.first { $0.value == token }?.key
    precondition(found??.name == owner, "the token \(token.debugDescription) found \(String(describing: found))")
}

private func editSecret(_ input: inout FuzzBytes) {
    let names = fixture.secrets.keys.sorted()
    var secret = Array(fixture.secrets[names[Int(input.byte()) % names.count]]!)
    while !input.isEmpty {
        let at = secret.isEmpty ? 0 : Int(input.byte()) % secret.count
        switch input.byte() % 6 {
        case 0 where !secret.isEmpty: secret[at] = Character(Unicode.Scalar(input.byte()))
        case 1: secret.removeSubrange(at...)
        case 2: secret.append(contentsOf: input.text(8))
        case 3: secret = Array(String(secret).uppercased())
        case 4: secret = Array(" " + String(secret) + "\n")
        case 5 where !secret.isEmpty: secret.remove(at: at)
        default: break
        }
    }
    lookUp(String(secret))
}

private func create(_ input: inout FuzzBytes) {
    let name = input.text(80)
    let purposes = ["research-with-consent", "personal-use", "workplace", "law-enforcement"]
    let pick = Int(input.byte())
    let purpose = pick < purposes.count * 32 ? purposes[pick % purposes.count] : input.text(40)
    // The rule `mien keys create` states: 1–64 letters, digits, '.', '_' or '-' (letters and digits of any script).
    let expected = !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
        CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
    } && fixture.secrets[name] == nil
    let validPurpose = !purpose.isEmpty && purpose.count <= 64
        && purpose.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "-" }
    do {
        let made = try fixture.store.create(name: name, purpose: purpose)
        precondition(expected && validPurpose, "\(name.debugDescription), \(purpose.debugDescription) was accepted")
        precondition(made.key.name == name && made.key.purpose == purpose && made.secret.hasPrefix("mien_"))
        lookUp(made.secret + "x")
        let found = try fixture.store.key(forSecret: made.secret)
        precondition(found == made.key, "a new key is not found by its secret")
        let listed = try fixture.store.list()
        precondition(listed.contains(made.key), "a new key is not listed")
        let revoked = try fixture.store.revoke(name: name)
        precondition(revoked.isRevoked, "a revoked key is not revoked")
        let after = try fixture.store.key(forSecret: made.secret)
        precondition(after?.isRevoked == true, "a revoked key is found as valid")
    } catch let error as APIKeyError {
        switch error {
        case .invalidName(let refused): precondition(refused == name && !expected, "\(name.debugDescription): \(error)")
        case .nameTaken(let taken): precondition(taken == name && fixture.secrets[name] != nil, "\(error)")
        case .invalidPurpose(let refused): precondition(refused == purpose && !validPurpose, "\(error)")
        default: preconditionFailure("create threw \(error)")
        }
    } catch {
        preconditionFailure("create threw an untyped error: \(error)")
    }
    restore()
}

private func editRows(_ input: inout FuzzBytes) {
    do {
        // One transaction for all of an input's edits (each its own commit was most of an edit's time); the store
        // reads the file only after it is committed.
        try fixture.editor.write { db in
            if input.byte() % 4 == 0 {
                try db.execute(sql: """
                    ALTER TABLE api_keys RENAME TO original;
                    CREATE TABLE api_keys (name PRIMARY KEY, purpose, prefix, secretHash, created, revoked);
                    INSERT INTO api_keys SELECT * FROM original;
                    DROP TABLE original;
                    """)
            }
            while !input.isEmpty {
                switch input.byte() % 4 {
                // Cached statements: the same few texts come back in every input (preparing them anew was a third
                // of an input's time); SQLite prepares them again by itself after the table is rewritten.
                case 0, 1:
                    let column = columns[Int(input.byte()) % columns.count]
                    let name = fixture.rows[Int(input.byte()) % fixture.rows.count]["name"] as String
                    let value = input.value()
                    try? db.cachedStatement(sql: "UPDATE api_keys SET \(column) = ? WHERE name = ?")
                        .execute(arguments: [value, name])
                case 2:
                    let values = StatementArguments((0..<6).map { _ in input.value() })
                    try? db.cachedStatement(sql: "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: values)
                default:
                    try db.cachedStatement(sql: "DELETE FROM api_keys WHERE rowid IN (SELECT rowid FROM api_keys LIMIT 1)")
                        .execute()
                }
            }
        }
    } catch {
        fatalError("the fuzz harness cannot edit its key database: \(error)")
    }
    _ = expectTyped("list") { try fixture.store.list() }
    _ = expectTyped("hasValidKeys") { try fixture.store.hasValidKeys() }
    for secret in fixture.secrets.values { _ = expectTyped("key(forSecret:)") { try fixture.store.key(forSecret: secret) } }
    _ = expectTyped("revoke") { try fixture.store.revoke(name: "alice") }
    restore()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIKeys(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    var input = FuzzBytes(bytes: bytes, position: 1)
    switch first % 4 {
    case 0: lookUp(String(decoding: bytes[1...], as: UTF8.self))
    case 1: editSecret(&input)
    case 2: create(&input)
    default: editRows(&input)
    }
    return 0
}
