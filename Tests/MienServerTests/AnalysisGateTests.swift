import Dispatch
import Foundation
import Hummingbird
import Synchronization
import XCTest
@testable import MienServer

/// The gate's workers start requests in the order they were admitted, `instances` at a time.
final class AnalysisGateTests: XCTestCase {
    func testJobsStartInSubmissionOrderOnAFixedNumberOfThreads() {
        for threads in [1, 2] {
            let workers = FIFOWorkers(threads: threads, name: "test")
            let started = Mutex<[Int]>([]), running = Mutex((now: 0, most: 0))
            let done = DispatchGroup()
            for i in 0..<200 {
                done.enter()
                workers.submit {
                    started.withLock { $0.append(i) }
                    running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                    usleep(UInt32(i % 3 == 0 ? 300 : 50))
                    running.withLock { $0.now -= 1 }
                    done.leave()
                }
            }
            XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
            XCTAssertEqual(started.withLock { $0 }, Array(0..<200), "\(threads) thread(s): first come, first served")
            XCTAssertEqual(running.withLock { $0.most }, threads, "never more than \(threads) at once")
        }
    }

    func testAFullGateTurnsAwayAndAnOverdueAnswerIsA503() async throws {
        let gate = AnalysisGate(instances: 1, queue: 1)
        let running = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let first = Task { try await gate.run(timeout: 30) { running.signal(); release.wait(); return 1 } }
        running.wait()
        // The one instance is busy: the second is admitted to wait, the third does not fit.
        let second = Task { try await gate.run(timeout: 0.3) { 2 } }
        while gate.inFlight < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        do {
            _ = try await gate.run(timeout: 30) { 3 }
            XCTFail("a third request does not fit instances 1 + queue 1")
        } catch let error as APIError {
            XCTAssertEqual(error.status, .serviceUnavailable)
            XCTAssertNotNil(error.retryAfter)
        }
        do {
            _ = try await second.value
            XCTFail("the second waited behind the first past its 0.3 s")
        } catch let error as APIError {
            XCTAssertEqual(error.code, "timeout")
        }
        release.signal()
        let one = try await first.value
        XCTAssertEqual(one, 1)
    }
}
