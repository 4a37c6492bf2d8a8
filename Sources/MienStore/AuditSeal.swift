import Crypto
import Foundation
import GRDB

/// The log's head (record count and last hash), signed with HMAC-SHA256 under an operator key. The chain alone
/// cannot show that records were cut off its end; the seal can, because a shorter log no longer matches it and
/// a new seal cannot be made without the key. It is rewritten in the same transaction as every append.
public struct AuditSeal: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit_seal"
    public var id: Int64 = 1
    public var count: Int64
    public var headHash: String
    public var mac: String

    /// A seal as stored (to check with `isSigned(by:)`).
    public init(count: Int64, headHash: String, mac: String) {
        self.count = count
        self.headHash = headHash
        self.mac = mac
    }

    public init(count: Int64, headHash: String, key: SymmetricKey) {
        self.count = count
        self.headHash = headHash
        mac = Self.mac(count: count, headHash: headHash, key: key)
    }

    public func isSigned(by key: SymmetricKey) -> Bool {
        let expected = Self.mac(count: count, headHash: headHash, key: key)
        // Constant time is not needed for a stored value, but costs nothing.
        return expected.utf8.count == mac.utf8.count
            && zip(expected.utf8, mac.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func mac(count: Int64, headHash: String, key: SymmetricKey) -> String {
        let message = Data("mien-audit-seal/1\n\(count)\n\(headHash)".utf8)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key)).hexString
    }
}

/// Where the seal key comes from. Keep it away from the disk that holds the log (see docs/TRUST.md): whoever has
/// both can rewrite the log and sign a new seal.
public enum SealKeySource: Sendable, Hashable, CustomStringConvertible {
    /// The secret itself (at least 32 characters), e.g. from the MIEN_SEAL_KEY environment variable.
    case secret(String)
    /// A key file; created with 32 random bytes and mode 0600 on first use when missing.
    case file(URL)

    /// MIEN_SEAL_KEY when set, else `seal.key` in `home`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       home: URL) -> SealKeySource {
        if let secret = environment["MIEN_SEAL_KEY"], !secret.isEmpty { return .secret(secret) }
        return .file(StoreLocation.sealKey(in: home))
    }

    public var description: String {
        switch self {
        case .secret: return "MIEN_SEAL_KEY"
        case .file(let url): return url.path
        }
    }

    public func load() throws -> SymmetricKey {
        switch self {
        case .secret(let text):
            guard text.utf8.count >= 32 else {
                throw StoreError.sealKeyUnusable(source: description, reason: "shorter than 32 characters")
            }
            return SymmetricKey(data: Data(text.utf8))
        case .file(let url):
            return try Self.loadOrCreate(url)
        }
    }

    private static func loadOrCreate(_ url: URL) throws -> SymmetricKey {
        if let key = try? Data(contentsOf: url) { return try parse(key, url) }
        do {
            try StoreLocation.ensureDirectory(for: url)
            // Several processes may start at once: each writes its own temporary file and links it into place;
            // link(2) fails when the name exists, so exactly one key wins and everyone reads that one.
            let temporary = url.deletingLastPathComponent()
                .appendingPathComponent(".seal.key.\(getpid()).\(UUID().uuidString)")
            let hex = Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }).hexString + "\n"
            guard FileManager.default.createFile(atPath: temporary.path, contents: Data(hex.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw StoreError.sealKeyUnusable(source: url.path, reason: "cannot create it")
            }
            defer { unlink(temporary.path) }
            if let handle = FileHandle(forWritingAtPath: temporary.path) {
                try handle.synchronize()
                try handle.close()
            }
            if link(temporary.path, url.path) != 0 && errno != EEXIST {
                throw StoreError.sealKeyUnusable(source: url.path, reason: String(cString: strerror(errno)))
            }
            return try parse(Data(contentsOf: url), url)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.sealKeyUnusable(source: url.path, reason: "\(error)")
        }
    }

    private static func parse(_ data: Data, _ url: URL) throws -> SymmetricKey {
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count >= 32 else {
            throw StoreError.sealKeyUnusable(source: url.path, reason: "shorter than 32 characters")
        }
        return SymmetricKey(data: Data(text.utf8))
    }
}
