import Foundation
import Synchronization

/// A token bucket per key: `perMinute` requests a minute, with bursts up to a tenth of that (at least 5).
final class RateLimiter: Sendable {
    let perMinute: Int
    private let burst: Double
    private let buckets = Mutex<[String: (tokens: Double, at: UInt64)]>([:])

    init(perMinute: Int) {
        self.perMinute = perMinute
        burst = max(5, Double(perMinute) / 10)
    }

    /// Takes one token for `key`; nil when granted, else the seconds until the next token.
    func take(_ key: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Int? {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60e9
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + Double(now &- bucket.at) * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate / 1e9).rounded(.up)))
        }
    }
}
