import Dispatch
import Foundation
import Synchronization

/// Admission for analyses: at most `instances + queue` at once (the engine's pool runs `instances`, the rest wait
/// for an instance); beyond that the caller is turned away at once (503 + Retry-After) instead of queueing without
/// bound. Admitted work runs on its own threads, never on the event loops.
final class AnalysisGate: Sendable {
    let capacity: Int
    let instances: Int
    private let admitted = Mutex(0)
    /// Blocking work runs here; the number of threads in use is bounded by `capacity`.
    private let workers = DispatchQueue(label: "mien.server.analysis", qos: .userInitiated, attributes: .concurrent)
    /// How long a typical analysis takes, for Retry-After (updated as analyses finish).
    private let typicalMs = Mutex(100.0)

    init(instances: Int, queue: Int) {
        self.instances = max(1, instances)
        capacity = self.instances + max(0, queue)
    }

    var inFlight: Int { admitted.withLock { $0 } }

    /// Seconds after which a slot is likely free: the queue drained at the measured rate, at least 1.
    var retryAfter: Int {
        let ms = typicalMs.withLock { $0 }
        return max(1, Int((Double(capacity) * ms / Double(instances) / 1000).rounded(.up)))
    }

    /// Runs `work` on an analysis thread if a slot is free; throws `APIError.busy` otherwise, and a 503 when the
    /// answer takes longer than `timeout` (the work then finishes in the background and frees its slot only then,
    /// so the count of admitted work stays true).
    func run<T: Sendable>(timeout: Double, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let ok = admitted.withLock { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard ok else { throw APIError.busy(retryAfter: retryAfter) }
        let start = DispatchTime.now().uptimeNanoseconds
        return try await withCheckedThrowingContinuation { continuation in
            let answer = AnswerOnce(continuation)
            workers.async {
                let result = Result { try work() }
                self.admitted.withLock { $0 -= 1 }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                self.typicalMs.withLock { $0 = 0.9 * $0 + 0.1 * ms }
                answer.resume(with: result)
            }
            let retry = retryAfter
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                answer.resume(with: .failure(APIError(.serviceUnavailable, code: "timeout",
                    message: "the analysis did not finish within \(Int(timeout)) s (the server is overloaded); retry "
                    + "after \(retry) s.", retryAfter: retry)))
            }
        }
    }
}

/// A continuation resumed by whichever comes first, the work or its deadline.
private final class AnswerOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { c in
            c?.resume(with: result)
            c = nil
        }
    }
}
