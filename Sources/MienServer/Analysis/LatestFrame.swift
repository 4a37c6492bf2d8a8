import Foundation

/// The one frame waiting to go to the live analyser of a WebSocket connection. A newer frame replaces a waiting
/// one (counted as dropped), so a client that sends faster than frames are analysed never builds a queue.
final class LatestFrame: @unchecked Sendable {
    // Safe to share: every field is read and written only while holding `condition`.
    private let condition = NSCondition()
    private var waiting: Data?
    private var closed = false
    private var droppedCount = 0

    /// Hands a frame over, replacing (and counting) one still waiting.
    func put(_ frame: Data) {
        condition.withLock {
            if waiting != nil { droppedCount += 1 }
            waiting = frame
            condition.signal()
        }
    }

    /// The next frame; nil once closed and empty.
    func take() -> Data? {
        condition.withLock {
            while waiting == nil && !closed { condition.wait() }
            defer { waiting = nil }
            return waiting
        }
    }

    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    var dropped: Int { condition.withLock { droppedCount } }
}
