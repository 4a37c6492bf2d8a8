import Foundation
import GRDB
import XCTest
@testable import MienStore

final class ResultStoreTests: XCTestCase {
    func testStoreFetchDeleteLeavesNoTrace() throws {
        let home = try TemporaryHome()
        let store = try ResultStore(url: home.url.appendingPathComponent("results.sqlite"))
        let marker = "RESULT-MARKER-\(UUID().uuidString)"
        let stored = try store.store(Data(marker.utf8), mediaType: "application/json", inputDigest: "d",
                                     purpose: "personal-use", actor: "a", ttl: 3600)
        XCTAssertEqual(try store.fetch(id: stored.id)?.payload, Data(marker.utf8))
        XCTAssertEqual(try store.list().map(\.id), [stored.id])
        XCTAssertTrue(try store.delete(id: stored.id))
        XCTAssertFalse(try store.delete(id: stored.id))
        XCTAssertNil(try store.fetch(id: stored.id))
        // secure_delete and the WAL checkpoint leave the bytes nowhere in the files.
        for name in try home.files() {
            let bytes = try Data(contentsOf: home.url.appendingPathComponent(name))
            XCTAssertNil(bytes.range(of: Data(marker.utf8)), "\(name) still holds the deleted result")
        }
    }

    func testExpiredResultsArePurgedAndNotReturned() throws {
        let home = try TemporaryHome()
        let store = try ResultStore(url: home.url.appendingPathComponent("results.sqlite"))
        let start = Date(timeIntervalSince1970: 1_000_000)
        let short = try store.store(Data("a".utf8), mediaType: "text/plain", inputDigest: "d", purpose: "p",
                                    actor: "a", ttl: 60, now: start)
        let long = try store.store(Data("b".utf8), mediaType: "text/plain", inputDigest: "d", purpose: "p",
                                   actor: "a", ttl: 3600, now: start)
        let later = start.addingTimeInterval(120)
        XCTAssertNil(try store.fetch(id: short.id, now: later))
        XCTAssertEqual(try store.list(now: later).map(\.id), [long.id])
        XCTAssertEqual(try store.purgeExpired(now: later), [short.id])
        XCTAssertEqual(try store.purgeExpired(now: later), [])
        XCTAssertNotNil(try store.fetch(id: long.id, now: later))
    }
}
