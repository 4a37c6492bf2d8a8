import Foundation
import Hummingbird
import HummingbirdTesting
import Mien
import MienTesting
import XCTest
@testable import MienServer

/// API keys: stored hashed, checked on every request, revocable; each key's purpose drives the policy and names the
/// requests in the audit log.
final class KeyAndPurposeTests: XCTestCase {
    func testKeysPurposesRefusalsAndAudit() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let keys = try APIKeyStore(url: home.appendingPathComponent("keys.sqlite"))
        let research = try keys.create(name: "lab", purpose: Purpose.researchWithConsent.rawValue).secret
        let workplace = try keys.create(name: "hr-dept", purpose: Purpose.workplace.rawValue).secret
        let revoked = try keys.create(name: "old", purpose: Purpose.personalUse.rawValue).secret
        try keys.revoke(name: "old")
        // Stored hashed: the secret is nowhere in the database file.
        let file = try Data(contentsOf: keys.url) + ((try? Data(contentsOf: URL(fileURLWithPath: keys.url.path + "-wal"))) ?? Data())
        XCTAssertNil(file.range(of: Data(research.utf8)))

        let server = try ServerHarness.server(home: home)
        XCTAssertTrue(server.configuration.requireKeys, "existing keys turn keys on")
        let photo = try ServerHarness.fixture("bench_640x480.jpg")
        try await server.application().test(.live) { client in
            let none = try await client.execute(uri: "/v1/analyze", method: .post, body: photo)
            XCTAssertEqual(none.status, .unauthorized)
            XCTAssertEqual(ServerHarness.errorCode(none), "unauthorized")
            let wrong = try await client.execute(uri: "/v1/analyze", method: .post,
                                                 headers: ServerHarness.bearer("mien_not-a-key"), body: photo)
            XCTAssertEqual(wrong.status, .unauthorized)
            let old = try await client.execute(uri: "/v1/analyze", method: .post,
                                               headers: ServerHarness.bearer(revoked), body: photo)
            XCTAssertEqual(old.status, .unauthorized)
            XCTAssertTrue(String(buffer: old.body).contains("revoked"))

            let ok = try await client.execute(uri: "/v1/analyze", method: .post,
                                              headers: ServerHarness.bearer(research), body: photo)
            XCTAssertEqual(ok.status, .ok)
            XCTAssertEqual(try ServerHarness.json(ok)["purpose"] as? String, "research-with-consent")

            // A workplace key asking for expressions is refused (EU AI Act art. 5(1)(f)) with the API's remedy...
            let refused = try await client.execute(uri: "/v1/analyze", method: .post,
                                                   headers: ServerHarness.bearer(workplace), body: photo)
            XCTAssertEqual(refused.status, .forbidden)
            XCTAssertEqual(ServerHarness.errorCode(refused), "policy_refusal")
            let message = String(buffer: refused.body)
            XCTAssertTrue(message.contains("measures_only=true"), message)
            XCTAssertFalse(message.contains("--measures-only"), "no CLI words on the API: \(message)")
            // ...and gets measures when it asks for measures only.
            let measures = try await client.execute(uri: "/v1/analyze?measures_only=true", method: .post,
                                                    headers: ServerHarness.bearer(workplace), body: photo)
            XCTAssertEqual(measures.status, .ok)
            let doc = try ServerHarness.json(measures)
            XCTAssertEqual(doc["outputs"] as? [String], ["measures"])
            XCTAssertFalse(String(buffer: measures.body).contains("\"expression\""))

            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            XCTAssertTrue(metrics.contains("mien_policy_refusals_total{purpose=\"workplace\"} 1"), metrics)
        }
        let log = try auditExport(home: home)
        XCTAssertTrue(log.contains { $0.contains("refusal") && $0.contains("hr-dept") && $0.contains("workplace") },
                      log.joined(separator: "\n"))
        XCTAssertTrue(log.contains { $0.contains("\"analysis\"") && $0.contains("hr-dept") })
        XCTAssertTrue(log.contains { $0.contains("\"analysis\"") && $0.contains("\"lab\"") })
    }

    func testNonLoopbackBindingWithoutKeysRefusesToStart() throws {
        let home = try TestSupport.temporaryDirectory(self)
        XCTAssertThrowsError(try ServerHarness.server(home: home) { $0.host = "0.0.0.0" }) { error in
            XCTAssertTrue("\(error)".contains("without API keys"), "\(error)")
        }
        XCTAssertThrowsError(try ServerHarness.server(home: home) { $0.host = "0.0.0.0"; $0.requireKeys = true }) { error in
            XCTAssertTrue("\(error)".contains("no valid API key"), "\(error)")
        }
        // With a valid key it may start (nothing is bound until it runs), and every request then needs a key.
        _ = try APIKeyStore(url: home.appendingPathComponent("keys.sqlite")).create(name: "ops", purpose: "safety")
        let open = try ServerHarness.server(home: home) { $0.host = "0.0.0.0" }
        XCTAssertTrue(open.configuration.requireKeys)
    }

    func testKeysCommandCreatesListsAndRevokes() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let made = try TestSupport.run(["keys", "create", "--purpose", "workplace", "--name", "hr"], home: home)
        XCTAssertEqual(made.status, 0, made.output)
        let secret = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("mien_") && secret.count == 69, secret)
        let again = try TestSupport.run(["keys", "create", "--purpose", "workplace", "--name", "hr"], home: home)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("already exists"), again.output)
        let bad = try TestSupport.run(["keys", "create", "--purpose", "spying", "--name", "x"], home: home)
        XCTAssertEqual(bad.status, 2, bad.output)
        let list = try TestSupport.run(["keys", "list"], home: home)
        XCTAssertTrue(list.stdout.contains("hr\tworkplace"), list.output)
        XCTAssertFalse(list.output.contains(secret))
        XCTAssertEqual(try TestSupport.run(["keys", "revoke", "hr"], home: home).status, 0)
        XCTAssertTrue(try TestSupport.run(["keys", "list"], home: home).stdout.contains("revoked"))
    }
}
