import Crypto
import Foundation

/// The outcome of `AuditLog.verify`: every problem found, each naming the record where the log stops being
/// trustworthy.
public struct AuditVerification: Sendable, Hashable, CustomStringConvertible {
    public var recordCount: Int
    public var sealedCount: Int64?
    public var problems: [AuditProblem]

    public var isValid: Bool { problems.isEmpty }

    public var description: String {
        if isValid {
            return "audit log valid: \(recordCount) records, hash chain intact, seal matches the last record."
        }
        return "audit log INVALID (\(recordCount) records):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }

    public static func check(records: [AuditRecord], seal: AuditSeal?, key: SymmetricKey,
                      expected: (count: Int64, headHash: String)?) -> AuditVerification {
        var problems: [AuditProblem] = []
        let positionOfHash = Dictionary(records.map { ($0.hash, $0.seq) }, uniquingKeysWith: { first, _ in first })
        var expectedSeq: Int64 = 1
        var previous: AuditRecord?
        for record in records {
            // Mien numbers records 1, 2, 3… Anything else came from an edit of the file, and may be any 64-bit
            // value: no arithmetic here may overflow on it (the fuzzer's first finding was a trap on Int64.max).
            if record.seq > expectedSeq {
                problems.append(.missing(from: expectedSeq, to: record.seq - 1))
            } else if record.seq < expectedSeq {
                problems.append(.renumbered(seq: record.seq))
            }
            if record.computedHash != record.hash {
                problems.append(.edited(seq: record.seq))
            }
            let previousHash = previous?.hash ?? AuditRecord.genesisHash
            if record.prevHash != previousHash {
                if let original = positionOfHash[record.prevHash] {
                    problems.append(.reordered(seq: record.seq, followsRecordAt: original))
                } else if record.seq == expectedSeq {
                    problems.append(.brokenLink(seq: record.seq))
                }
            }
            let (next, overflow) = max(record.seq, expectedSeq).addingReportingOverflow(1)
            expectedSeq = overflow ? Int64.max : next
            previous = record
        }

        let last = records.last
        if let seal {
            if !seal.isSigned(by: key) {
                problems.append(.sealForged)
            } else if let lastSeq = last?.seq, seal.count < lastSeq {
                problems.append(.unsealed(from: seal.count + 1, to: lastSeq))
            } else if seal.count > (last?.seq ?? 0) {
                problems.append(.truncated(sealedCount: seal.count, lastSeq: last?.seq ?? 0))
            } else if let last, seal.headHash != last.hash {
                problems.append(.headMismatch(seq: last.seq))
            }
        } else if let last {
            problems.append(.sealMissing(lastSeq: last.seq))
        }

        if let expected {
            let atExpected = records.first { $0.seq == expected.count }
            if atExpected == nil || atExpected?.hash != expected.headHash {
                problems.append(.notExtendingKnownHead(count: expected.count))
            }
        }
        return AuditVerification(recordCount: records.count, sealedCount: seal?.count, problems: problems)
    }
}

/// One way the log differs from what was written.
public enum AuditProblem: Sendable, Hashable, CustomStringConvertible {
    /// Records with these positions are gone.
    case missing(from: Int64, to: Int64)
    /// The record's content no longer matches its own hash.
    case edited(seq: Int64)
    /// The record's position is one Mien never gives (below 1, or not after the record before it): renumbered.
    case renumbered(seq: Int64)
    /// The record links to a record that exists elsewhere in the log: records were moved.
    case reordered(seq: Int64, followsRecordAt: Int64)
    /// The record links to no record in the log: the one before it was replaced, re-hashed after an edit, or
    /// deleted and the positions renumbered.
    case brokenLink(seq: Int64)
    /// The log ends before the record the seal names: its tail was cut off.
    case truncated(sealedCount: Int64, lastSeq: Int64)
    /// The last record is not the one the seal names.
    case headMismatch(seq: Int64)
    /// Records after the sealed head (written without the key).
    case unsealed(from: Int64, to: Int64)
    case sealForged
    case sealMissing(lastSeq: Int64)
    /// The head an operator kept elsewhere is not in this log: the log was rolled back or replaced.
    case notExtendingKnownHead(count: Int64)

    /// The first record from which the log cannot be trusted.
    public var seq: Int64? {
        switch self {
        case .missing(let from, _): return from
        case .edited(let seq), .reordered(let seq, _), .brokenLink(let seq), .headMismatch(let seq),
             .renumbered(let seq): return seq
        case .truncated(_, let last): return last + 1
        case .unsealed(let from, _): return from
        case .sealForged, .sealMissing: return nil
        case .notExtendingKnownHead(let count): return count
        }
    }

    public var description: String {
        switch self {
        case .missing(let from, let to):
            return from == to ? "record \(from) is missing (deleted)" : "records \(from)–\(to) are missing (deleted)"
        case .edited(let seq):
            return "record \(seq) was edited: its content no longer matches its hash"
        case .renumbered(let seq):
            return "a record is numbered \(seq), a position Mien never gives (records are numbered 1, 2, 3…): the log "
                + "was renumbered"
        case .reordered(let seq, let original):
            return "record \(seq) is out of order: it was written right after record \(original)"
        case .brokenLink(let seq):
            return "record \(seq) does not follow record \(seq - 1): record \(seq - 1) was replaced or "
                + "re-hashed after an edit, or records were deleted and renumbered"
        case .truncated(let sealed, let last):
            let gone = sealed == last + 1 ? "record \(sealed) is gone" : "records \(last + 1)–\(sealed) are gone"
            return "the log was cut off: the seal names \(sealed) records, the log ends at record \(last) (\(gone))"
        case .headMismatch(let seq):
            return "record \(seq), the last one, is not the record the seal names: it was replaced"
        case .unsealed(let from, let to):
            return "records \(from)–\(to) were added after the seal without the key"
        case .sealForged:
            return "the seal's signature does not match the key: the seal was forged, or this is not the key "
                + "that sealed the log"
        case .sealMissing(let last):
            return "the seal is missing (the log has \(last) records): it was deleted"
        case .notExtendingKnownHead(let count):
            return "record \(count) is not the head recorded earlier: the log was rolled back or replaced"
        }
    }
}
