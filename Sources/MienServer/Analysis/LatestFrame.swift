import Foundation
import Synchronization

/// The one frame waiting to go to the live analyser of a WebSocket connection. A newer frame replaces a waiting
/// one (counted as dropped), so a client that sends faster than frames are analysed never builds a queue.
// Safe to share: every field is read and written only while holding `condition`.
final class LatestFrame: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: (data: Data, sequence: Int)?
    private var closed = false
    private var droppedCount = 0

    /// Hands a frame over, replacing (and counting) one still waiting.
    func put(_ frame: Data, sequence: Int) {
        condition.withLock {
            if waiting != nil { droppedCount += 1 }
            waiting = (frame, sequence)
            condition.signal()
        }
    }

    /// The next frame; nil once closed and empty.
    func take() -> (data: Data, sequence: Int)? {
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

/// Which of the client's frames each frame written to the decoder was: the decoder numbers what it reads (0, 1, …),
/// the client numbers what it sent; frames dropped in between make the two differ.
final class FrameNumbers: Sendable {
    private let written = Mutex<(next: Int, sequences: [Int: Int])>((0, [:]))

    func wrote(sequence: Int) {
        written.withLock { w in
            w.sequences[w.next] = sequence
            w.next += 1
        }
    }

    /// The client's number of the decoder's frame `index`; earlier entries are forgotten (answered or dropped).
    func sequence(ofDecoded index: Int) -> Int {
        written.withLock { w in
            let sequence = w.sequences[index] ?? index
            w.sequences = w.sequences.filter { $0.key > index }
            return sequence
        }
    }
}
