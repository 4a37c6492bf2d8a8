import Foundation
import XCTest
@testable import MienStore
import MienTesting

/// The stored form of a key's secret: SHA-256 as lower-case hex. Keys made before the hex was written without
/// `String(format:)` must still be found, so the text has to be byte for byte what it was.
final class APIKeyHashTests: XCTestCase {
    func testSecretHashIsLowerCaseSHA256Hex() {
        // FIPS 180-2's test vectors.
        XCTAssertEqual(APIKeyStore.hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(APIKeyStore.hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(APIKeyStore.hex([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        let random = APIKeyStore.randomHex(bytes: 16)
        XCTAssertEqual(random.count, 32)
        XCTAssertTrue(random.allSatisfy { "0123456789abcdef".contains($0) }, random)
    }

    func testAKeyIsFoundByItsSecretAndNotByAnother() throws {
        let home = try TemporaryHome()
        let store = try APIKeyStore(url: home.url.appendingPathComponent("keys.sqlite"))
        let made = try store.create(name: "alice", purpose: "personal-use")
        XCTAssertEqual(try store.key(forSecret: made.secret), made.key)
        XCTAssertNil(try store.key(forSecret: made.secret.uppercased()))
    }
}
