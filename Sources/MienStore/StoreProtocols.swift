import Foundation

/// Where audit records go. `AuditLog` (SQLite, hash-chained and sealed) is the implementation today; a server
/// or a scale-out run may put another behind the same calls. Every implementation must make `append` durable
/// before it returns: callers report an analysis only after its record is stored.
public protocol AuditSink: Sendable {
    /// Appends one entry and returns the stored record (with its place in the chain).
    @discardableResult
    func append(_ entry: AuditEntry, at date: Date) throws -> AuditRecord
    func records() throws -> [AuditRecord]
    /// Count and hash of the last record, nil when empty.
    func head() throws -> (count: Int64, headHash: String)?
    func verify(expectingAtLeast expected: (count: Int64, headHash: String)?) throws -> AuditVerification
    func exportJSONLines(to handle: FileHandle) throws
}

extension AuditSink {
    /// Writes every record as one JSON object per line, in log order (the same for every log).
    public func exportJSONLines(to handle: FileHandle) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for record in try records() {
            var line = try encoder.encode(record)
            line.append(0x0a)
            try handle.write(contentsOf: line)
        }
    }
}

extension AuditLog: AuditSink {}

/// Where retained results go (only when retention is on). `ResultStore` (SQLite) is the implementation today.
public protocol ResultStoring: Sendable {
    func store(_ payload: Data, mediaType: String, inputDigest: String, purpose: String, actor: String,
               ttl seconds: Int, now: Date) throws -> StoredResult
    func fetch(id: String, now: Date) throws -> StoredResult?
    func list(now: Date) throws -> [StoredResult.Summary]
    func delete(id: String) throws -> Bool
    func purgeExpired(now: Date) throws -> [String]
}

extension ResultStore: ResultStoring {}
