import Crypto
import Foundation
import GRDB

/// One API key of `mien serve` as stored: its name, the purpose its holder declared, and the SHA-256 of the secret
/// (never the secret: a stolen database does not let anyone call the server).
public struct APIKey: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_keys"

    /// The key's name, unique; it is the actor in the audit log.
    public var name: String
    /// The declared purpose (`Purpose.rawValue`): the policy the trust layer applies to every request with this key.
    public var purpose: String
    /// The first characters of the secret, shown by `mien keys list` so a person can tell keys apart.
    public var prefix: String
    /// SHA-256 hex of the whole secret. Keys are 256 random bits, so a fast hash is enough (no password stretching).
    public var secretHash: String
    public var created: Double
    /// When it was revoked; nil while it is valid.
    public var revoked: Double?

    public var isRevoked: Bool { revoked != nil }
}

/// Why a key could not be made, found or revoked; each message says what to do.
public enum APIKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    case nameTaken(String)
    case invalidName(String)
    /// Not the form of a purpose (the CLI and server check it is one of Mien's; this store only keeps it readable).
    case invalidPurpose(String)
    case notFound(String)
    /// The key database could not be read or written: SQLite failed, or a row holds what Mien never writes (a NULL,
    /// a number where text belongs), because the file was edited outside Mien.
    case storeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .nameTaken(let name):
            return "a key named '\(name)' already exists; choose another name, or revoke it first "
                + "('mien keys revoke \(name)') and create it anew."
        case .invalidName(let name):
            return "'\(name)' cannot name a key: use 1–64 letters, digits, '.', '_' or '-'."
        case .invalidPurpose(let purpose):
            return "\(purpose.debugDescription) cannot be a key's purpose: give one of the purposes "
                + "'mien keys create --help' lists."
        case .notFound(let name):
            return "no key named '\(name)'; 'mien keys list' shows the keys."
        case .storeFailed(let path, let reason):
            return "\(path): the key database cannot be used (\(reason)). If it was edited outside Mien, restore it "
                + "from a copy, or move it away and make the keys anew with 'mien keys create'."
        }
    }
}

/// The API keys of `mien serve`, in SQLite (`keys.sqlite` beside the audit log by default).
public final class APIKeyStore: Sendable {
    public let url: URL
    private let queue: DatabaseQueue

    public static func defaultURL(in home: URL = StoreLocation.home()) -> URL {
        home.appendingPathComponent("keys.sqlite")
    }

    public init(url: URL) throws {
        self.url = url
        queue = try StoreDatabase.open(url, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("api-keys-v1") { db in
            try db.create(table: APIKey.databaseTableName) { t in
                t.column("name", .text).primaryKey()
                t.column("purpose", .text).notNull()
                t.column("prefix", .text).notNull()
                t.column("secretHash", .text).notNull().unique()
                t.column("created", .double).notNull()
                t.column("revoked", .double)
            }
        }
        return migrator
    }

    /// Makes a key and returns it with its secret; the secret is shown this once and never stored.
    public func create(name: String, purpose: String, now: Date = Date()) throws -> (key: APIKey, secret: String) {
        guard Self.isValidName(name) else { throw APIKeyError.invalidName(name) }
        // SQLite keeps a NUL inside text, but GRDB reads text back only up to it: a key made with one would not
        // be found as made (found by the api_keys fuzz harness). Purposes are lower-case words joined by '-'.
        guard Self.isValidPurpose(purpose) else { throw APIKeyError.invalidPurpose(purpose) }
        let secret = "mien_" + Self.randomHex(bytes: 32)
        let key = APIKey(name: name, purpose: purpose, prefix: String(secret.prefix(12)),
                         secretHash: Self.hash(secret), created: now.timeIntervalSince1970, revoked: nil)
        try write { db in
            if try APIKey.fetchOne(db, key: name) != nil { throw APIKeyError.nameTaken(name) }
            try key.insert(db)
        }
        return (key, secret)
    }

    /// The key a secret belongs to, revoked or not; nil when no key has that secret.
    public func key(forSecret secret: String) throws -> APIKey? {
        let hash = Self.hash(secret)
        return try read { db in
            try APIKey.filter(Column("secretHash") == hash).fetchOne(db)
        }
    }

    public func list() throws -> [APIKey] {
        try read { db in try APIKey.order(Column("created"), Column("name")).fetchAll(db) }
    }

    /// True when any key is valid (a server bound beyond loopback needs one).
    public func hasValidKeys() throws -> Bool {
        try read { db in try APIKey.filter(Column("revoked") == nil).fetchCount(db) > 0 }
    }

    /// Revokes a key by name: requests with it are refused from then on. Revoking twice keeps the first time.
    @discardableResult
    public func revoke(name: String, now: Date = Date()) throws -> APIKey {
        try write { db in
            guard var key = try APIKey.fetchOne(db, key: name) else { throw APIKeyError.notFound(name) }
            if key.revoked == nil {
                key.revoked = now.timeIntervalSince1970
                try key.update(db)
            }
            return key
        }
    }

    /// GRDB throws its own errors (a row that does not decode as an `APIKey`, SQLite's); callers get `APIKeyError`.
    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw typed(error) }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw typed(error) }
    }

    private func typed(_ error: Error) -> Error {
        if error is APIKeyError { return error }
        return APIKeyError.storeFailed(path: url.path, reason: "\(error)")
    }

    /// Every authenticated request hashes its token; `String(format:)` per byte was 13% of a lookup (fuzz/run.sh
    /// api_keys under perf), so the hex is written directly.
    static func hash(_ secret: String) -> String {
        hex(SHA256.hash(data: Data(secret.utf8)))
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Lower-case hex, two digits a byte.
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func isValidPurpose(_ purpose: String) -> Bool {
        !purpose.isEmpty && purpose.count <= 64
            && purpose.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "-" }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
    }
}
