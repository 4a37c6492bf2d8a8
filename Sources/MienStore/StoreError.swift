import Foundation

/// Why the audit log or the result store could not do what was asked. Each message says what to do next.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case sealKeyUnusable(source: String, reason: String)
    /// The log no longer matches its seal; appending would re-seal a tampered log, so it is refused.
    case auditLogTampered(path: String, problem: String)
    /// A record or the seal holds a value Mien never writes (a number where text belongs, a missing field): the
    /// file was edited outside Mien, or is not an audit log.
    case auditLogUnreadable(path: String, reason: String)
    case resultNotFound(id: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open the database (\(reason)). Check the folder exists and is writable, "
                + "or choose another with --audit-db / MIEN_HOME."
        case .sealKeyUnusable(let source, let reason):
            return "seal key \(source) cannot be used (\(reason)). Give a readable key file or set MIEN_SEAL_KEY."
        case .auditLogTampered(let path, let problem):
            return "\(path): the audit log does not match its seal (\(problem)); nothing more is appended to it. "
                + "Run 'mien audit verify' to see which record, keep the file as evidence, and start a new log "
                + "(move the file away)."
        case .auditLogUnreadable(let path, let reason):
            return "\(path): the audit log holds a record Mien cannot have written (\(reason)); it was edited "
                + "outside Mien or is not an audit log. Keep the file as evidence and start a new log (move the "
                + "file away)."
        case .resultNotFound(let id):
            return "no stored result with id \(id) (it may have expired or been deleted). 'mien results list' "
                + "shows the stored ones."
        }
    }
}
