import Foundation

/// A bounded set of instances of a stage that must not run two calls at once (an OpenCV DNN net keeps
/// per-forward state; dlib's HOG scanner keeps scratch buffers). Callers borrow an instance for one call, or for a
/// whole video; at most `capacity` exist, made on demand, so a process that analyses one image at a time pays for
/// one. A caller that finds every instance lent waits: the pool is the engine's back-pressure.
// Safe to share: `free`, `made` and the instances' ownership change only under `lock`; an instance is used by
// exactly one borrower between `acquire` and `release`.
final class InstancePool<Instance>: @unchecked Sendable {
    private let lock = NSCondition()
    private var free: [Instance] = []
    private var made = 0
    private var waiting = 0
    private let make: () throws -> Instance
    let capacity: Int

    /// `first` is the instance built (and so validated) at load; more are made by `make` when needed.
    init(capacity: Int, first: Instance, make: @escaping () throws -> Instance) {
        self.capacity = max(1, capacity)
        self.make = make
        free = [first]
        made = 1
    }

    /// Runs `body` with an instance of its own; waits while all `capacity` are lent.
    func with<R>(_ body: (Instance) throws -> R) throws -> R {
        let instance = try acquire()
        defer { release(instance) }
        return try body(instance)
    }

    func acquire() throws -> Instance {
        lock.lock()
        while free.isEmpty && made >= capacity {
            waiting += 1
            lock.wait()
            waiting -= 1
        }
        if let instance = free.popLast() {
            lock.unlock()
            return instance
        }
        made += 1
        lock.unlock()
        do {
            return try make()
        } catch {
            lock.lock()
            made -= 1
            lock.signal()
            lock.unlock()
            throw error
        }
    }

    func release(_ instance: Instance) {
        lock.lock()
        free.append(instance)
        lock.signal()
        lock.unlock()
    }

    /// Instances lent right now and callers waiting for one (the server's queue depth).
    var usage: (lent: Int, waiting: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (made - free.count, waiting)
    }
}
