import Dispatch
import Foundation
import Synchronization

/// Admission for analyses: at most `instances + queue` at once; beyond that the caller is turned away at once
/// (503 + Retry-After) instead of queueing without bound. Admitted work runs on `instances` threads of its own (never
/// on the event loops), one request start to end on a thread, **first come, first served**: the rest wait in order.
/// (Before, every admitted request ran on a thread of its own and they met at each stage's instance pool, where a
/// waiting thread is not woken in order, so a request could lose the race at every stage. Measured side by side on
/// 8 connections, the two give the same throughput and p99 within this machine's noise (docs/SERVER.md); the order
/// is now fair and the threads bounded by `instances`.)
final class AnalysisGate: Sendable {
    let capacity: Int
    let instances: Int
    private let admitted = Mutex(0)
    /// Blocking work runs here, `instances` at a time, in the order it was admitted.
    private let workers: FIFOWorkers
    /// How long a typical analysis takes, for Retry-After (updated as analyses finish).
    private let typicalMs = Mutex(100.0)

    init(instances: Int, queue: Int) {
        self.instances = max(1, instances)
        capacity = self.instances + max(0, queue)
        workers = FIFOWorkers(threads: self.instances, name: "mien.server.analysis")
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
            workers.submit {
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

/// A fixed set of threads that run submitted jobs strictly in submission order (a job starts only when every job
/// submitted before it has started). The threads end when the owner goes away, after the jobs already submitted.
final class FIFOWorkers: Sendable {
    private let shared = Shared()
    private let threads: Int

    init(threads: Int, name: String) {
        self.threads = max(1, threads)
        for i in 0..<self.threads {
            let thread = Thread { [shared] in shared.loop() }
            thread.name = "\(name).\(i)"
            thread.qualityOfService = .userInitiated
            thread.start()
        }
    }

    deinit { shared.stop(threads: threads) }

    func submit(_ job: @escaping @Sendable () -> Void) { shared.submit(job) }

    /// What the threads share with the owner: the queue of jobs and a count of them.
    private final class Shared: Sendable {
        private struct Queue: ~Copyable {
            var jobs: [@Sendable () -> Void] = []
            var head = 0
            var stopping = false
        }
        private let queue = Mutex(Queue())
        /// Signalled once per job and once per thread at the stop; each signal lets one thread take one turn.
        private let ready = DispatchSemaphore(value: 0)

        func submit(_ job: @escaping @Sendable () -> Void) {
            queue.withLock { $0.jobs.append(job) }
            ready.signal()
        }

        func stop(threads: Int) {
            queue.withLock { $0.stopping = true }
            for _ in 0..<threads { ready.signal() }
        }

        func loop() {
            while true {
                ready.wait()
                let job = queue.withLock { q -> (@Sendable () -> Void)? in
                    guard q.head < q.jobs.count else { return nil }
                    let job = q.jobs[q.head]
                    q.head += 1
                    if q.head > 64 && q.head * 2 > q.jobs.count {
                        q.jobs.removeFirst(q.head)
                        q.head = 0
                    }
                    return job
                }
                if let job {
                    job()
                } else if queue.withLock({ $0.stopping }) {
                    return
                }
            }
        }
    }
}
