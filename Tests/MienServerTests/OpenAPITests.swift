import Foundation
import Hummingbird
import MienTesting
import XCTest
@testable import MienServer

/// docs/openapi.json is the API's contract: every route in it exists, every route exists in it, and the server
/// serves exactly that file.
final class OpenAPITests: XCTestCase {
    func testSpecAndRoutesMatchBothWays() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home)
        let served = Set(server.routeTable().map { "\($0.method) \($0.path)" })
        let spec = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any]
        let paths = try XCTUnwrap(spec?["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        XCTAssertEqual(served.subtracting(documented), [], "routes missing from docs/openapi.json")
        XCTAssertEqual(documented.subtracting(served), [], "documented routes the server lacks")
        XCTAssertGreaterThanOrEqual(served.count, 12)
    }

    func testServedDocumentIsTheOneInTheRepository() throws {
        let file = try String(contentsOf: TestSupport.repository.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        XCTAssertEqual(file.trimmingCharacters(in: .whitespacesAndNewlines),
                       OpenAPIDocument.json.trimmingCharacters(in: .whitespacesAndNewlines),
                       "regenerate Sources/MienServer/OpenAPIDocument.swift from docs/openapi.json (scripts/openapi-embed.sh)")
    }
}
