import Foundation
import Hummingbird
import HummingbirdTesting
import Mien
import MienTesting
import XCTest
@testable import MienServer

/// `POST /v1/analyze`, `/healthz`, `/metrics` and every error status, on a real server over loopback.
final class AnalyzeRouteTests: XCTestCase {
    func testAnalyzeAnswersTheMien1DocumentRawAndMultipart() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home)
        let photo = try Data(contentsOf: TestSupport.fixture("bench_640x480.jpg"))
        try await server.application().test(.live) { client in
            let raw = try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: photo))
            XCTAssertEqual(raw.status, .ok, String(buffer: raw.body))
            let doc = try ServerHarness.json(raw)
            XCTAssertEqual(doc["schema"] as? String, "mien/1")
            XCTAssertEqual(doc["purpose"] as? String, "personal-use")
            XCTAssertEqual(doc["outputs"] as? [String], ["expressions", "measures"])
            let image = try XCTUnwrap((doc["images"] as? [[String: Any]])?.first)
            XCTAssertEqual(image["width"] as? Int, 640)
            let faces = try XCTUnwrap(image["faces"] as? [[String: Any]])
            XCTAssertEqual(faces.count, 1)
            XCTAssertNotNil(faces[0]["expression"])
            XCTAssertNotNil(faces[0]["landmarks"])
            XCTAssertNil(doc["annotated_image"])
            // As `mien analyze`: the face mesh's blendshapes and iris gaze, unless the request turns them off.
            let blendshapes = try XCTUnwrap(faces[0]["blendshapes"] as? [String: Any], "\(faces[0].keys.sorted())")
            XCTAssertGreaterThanOrEqual(blendshapes.count, 1)
            XCTAssertNotNil(faces[0]["gaze"])
            let plain = try await client.execute(uri: "/v1/analyze?blendshapes=false", method: .post,
                                                 body: ByteBuffer(bytes: photo))
            let plainFaces = try XCTUnwrap(((try ServerHarness.json(plain)["images"] as? [[String: Any]])?.first)?["faces"]
                                           as? [[String: Any]])
            XCTAssertNil(plainFaces.first?["blendshapes"])
            XCTAssertNil(plainFaces.first?["gaze"])
            XCTAssertNotNil(plainFaces.first?["movement_measures"])

            let (form, headers) = ServerHarness.multipart(photo)
            let viaForm = try await client.execute(uri: "/v1/analyze?annotated=png&landmarks=false", method: .post,
                                                   headers: headers, body: form)
            XCTAssertEqual(viaForm.status, .ok, String(buffer: viaForm.body))
            let formDoc = try ServerHarness.json(viaForm)
            let formFaces = try XCTUnwrap(((formDoc["images"] as? [[String: Any]])?.first)?["faces"] as? [[String: Any]])
            XCTAssertEqual(formFaces.count, 1)
            XCTAssertNil(formFaces[0]["landmarks"], "landmarks=false drops the points")
            let annotated = try XCTUnwrap(formDoc["annotated_image"] as? String)
            XCTAssertTrue(annotated.hasPrefix("data:image/png;base64,"))
            let png = try XCTUnwrap(Data(base64Encoded: String(annotated.dropFirst("data:image/png;base64,".count))))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

            let measures = try await client.execute(uri: "/v1/analyze?measures_only=true", method: .post,
                                                    body: ByteBuffer(bytes: photo))
            let measuresDoc = try ServerHarness.json(measures)
            XCTAssertEqual(measuresDoc["outputs"] as? [String], ["measures"])
            let mFaces = try XCTUnwrap(((measuresDoc["images"] as? [[String: Any]])?.first)?["faces"] as? [[String: Any]])
            XCTAssertNil(mFaces.first?["expression"])
            XCTAssertNotNil(mFaces.first?["movement_measures"])

            let health = try await client.execute(uri: "/healthz", method: .get)
            XCTAssertEqual(health.status, .ok)
            let healthDoc = try ServerHarness.json(health)
            XCTAssertEqual(healthDoc["instances"] as? Int, 2)
            XCTAssertEqual(healthDoc["blendshapes"] as? Bool, true, "the mesh is loaded by default")
            XCTAssertEqual(healthDoc["body"] as? Bool, false, "the body models only with --body")
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            XCTAssertTrue(text.contains("mien_http_requests_total{route=\"/v1/analyze\",method=\"POST\",status=\"200\"} 4"), text)
            XCTAssertTrue(text.contains("mien_faces_total 4"), text)
            XCTAssertTrue(text.contains("mien_analysis_waiting"), text)
        }
        // Every request is in the audit log under the local actor.
        let log = try auditExport(home: home)
        XCTAssertEqual(log.filter { $0.contains("\"analysis\"") && $0.contains("local-user") }.count, 4, log.joined(separator: "\n"))
    }

    /// `label_set=intended` answers from the model's FER2013 head in its 7 classes; the default is perceived (FER+'s 8).
    func testLabelsQueryChoosesTheHeadTheEstimatesAnswerFrom() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home)
        let photo = try Data(contentsOf: TestSupport.fixture("bench_640x480.jpg"))
        try await server.application().test(.live) { client in
            for (query, labels, count) in [("", "perceived", 8), ("&label_set=intended", "intended", 7),
                                           ("&label_set=intended&prior=balanced", "intended", 7)] {
                let r = try await client.execute(uri: "/v1/analyze?blendshapes=false" + query, method: .post,
                                                 body: ByteBuffer(bytes: photo))
                XCTAssertEqual(r.status, .ok, String(buffer: r.body))
                let faces = try XCTUnwrap(((try ServerHarness.json(r)["images"] as? [[String: Any]])?.first)?["faces"]
                                          as? [[String: Any]])
                let expression = try XCTUnwrap(faces.first?["expression"] as? [String: Any])
                XCTAssertEqual(expression["label_set"] as? String, labels, query)
                XCTAssertEqual((expression["probabilities"] as? [String: Double])?.count, count, query)
            }
        }
    }

    func testBadInputGetsTheRightStatusAndAJSONError() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home) { $0.maxBodyBytes = 2 << 20; $0.maxPixels = 4_000_000 }
        let photo = try Data(contentsOf: TestSupport.fixture("bench_640x480.jpg"))
        try await server.application().test(.live) { client in
            func expect(_ uri: String, _ method: HTTPRequest.Method = .post, headers: HTTPFields = [:], body: Data?,
                        status: HTTPResponse.Status, code: String, line: UInt = #line) async throws {
                let r = try await client.execute(uri: uri, method: method, headers: headers,
                                                 body: body.map { ByteBuffer(bytes: $0) })
                XCTAssertEqual(r.status, status, String(buffer: r.body), line: line)
                XCTAssertEqual(ServerHarness.errorCode(r, line: line), code, line: line)
                XCTAssertEqual(r.headers[.contentType], "application/json; charset=utf-8", line: line)
            }
            try await expect("/v1/analyze", body: Data("this is not an image".utf8), status: .unsupportedMediaType,
                             code: "not_an_image")
            try await expect("/v1/analyze", body: photo.prefix(photo.count / 3), status: .unprocessableContent,
                             code: "corrupt_image")
            try await expect("/v1/analyze", body: try Data(contentsOf: TestSupport.fixture("one_pixel.png")),
                             status: .unprocessableContent, code: "image_too_small")
            // A PNG header announcing 30000×30000 pixels: refused from the header, before any decoding.
            try await expect("/v1/analyze", body: Self.pngHeader(width: 30000, height: 30000), status: .contentTooLarge,
                             code: "too_many_pixels")
            // Sides whose product overflows Int (found by the mutation run: the refusal's message multiplied them and
            // trapped, which would have ended the server process): still a 413.
            try await expect("/v1/analyze", body: try Data(contentsOf: TestSupport.repository
                                .appendingPathComponent("fuzz/regressions/media_png_sides_overflow_int.png")),
                             status: .contentTooLarge, code: "too_many_pixels")
            try await expect("/v1/analyze", body: Data(count: 3 << 20), status: .contentTooLarge, code: "body_too_large")
            try await expect("/v1/analyze", body: Data(), status: .badRequest, code: "empty_body")
            try await expect("/v1/analyze", headers: [.contentType: "multipart/form-data; boundary=xyz"],
                             body: Data("--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8),
                             status: .badRequest, code: "malformed_multipart")
            try await expect("/v1/analyze", headers: [.contentType: "multipart/form-data"], body: Data("x".utf8),
                             status: .badRequest, code: "malformed_multipart")
            try await expect("/v1/analyze?measures_only=perhaps", body: photo, status: .badRequest, code: "bad_parameter")
            try await expect("/v1/analyze?annotated=gif", body: photo, status: .badRequest, code: "bad_parameter")
            try await expect("/v1/analyze?label_set=posed", body: photo, status: .badRequest, code: "bad_parameter")
            try await expect("/v1/nothing-here", .get, body: nil, status: .notFound, code: "not_found")
            try await expect("/v1/analyze", .get, body: nil, status: .methodNotAllowed, code: "method_not_allowed")
            try await expect("/v1/live", .get, body: nil, status: .upgradeRequired, code: "upgrade_required")
            try await expect("/v1/videos/does-not-exist", .get, body: nil, status: .notFound, code: "no_such_job")
            // The server still serves after all of that.
            let ok = try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: photo))
            XCTAssertEqual(ok.status, .ok)
        }
    }

    func testOverloadAnswers503WithRetryAfterAndNothingElse() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home) { $0.instances = 1; $0.queue = 1 }
        let photo = try ServerHarness.fixture("bench_640x480.jpg")
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // Eight clients, each on its own connection, at once.
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let own = TestClient(host: "127.0.0.1", port: port)
                        own.connect()
                        let r = try await own.post("/v1/analyze", body: photo)
                        try await own.shutdown()
                        return (Int(r.status.code), r.headers[.retryAfter])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertTrue(statuses.allSatisfy { $0.0 == 200 || $0.0 == 503 }, "\(statuses)")
            XCTAssertGreaterThanOrEqual(statuses.filter { $0.0 == 200 }.count, 2, "\(statuses)")
            let busy = statuses.filter { $0.0 == 503 }
            XCTAssertFalse(busy.isEmpty, "8 at once over 1 instance + 1 queue must turn some away: \(statuses)")
            XCTAssertTrue(busy.allSatisfy { ($0.1.flatMap(Int.init) ?? 0) >= 1 }, "\(busy)")
        }
    }

    func testRateLimitAnswers429WithRetryAfter() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home) { $0.rateLimitPerMinute = 6 }
        try await server.application().test(.live) { client in
            var codes: [Int] = []
            var retry: String?
            for _ in 0..<7 {
                let r = try await client.execute(uri: "/v1/analyze", method: .post, body: ByteBuffer(string: "x"))
                codes.append(Int(r.status.code))
                if r.status == .tooManyRequests { retry = r.headers[.retryAfter] }
            }
            XCTAssertEqual(codes.filter { $0 == 429 }.count, 2, "burst of 5, then limited: \(codes)")
            XCTAssertGreaterThanOrEqual(retry.flatMap(Int.init) ?? 0, 1)
        }
    }

    /// A PNG signature and IHDR chunk for the given size, with nothing after (the decoder must refuse it first).
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
        for v in [width, height] { d += Data([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
        d += Data([8, 2, 0, 0, 0, 0, 0, 0, 0])
        d += Data(count: 64)
        return d
    }
}

/// The audit log of a test home, one JSON record a line.
func auditExport(home: URL) throws -> [String] {
    let out = home.appendingPathComponent("audit-export.jsonl")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    try Governance(purpose: .personalUse, actor: "test", home: home).exportAuditLog(to: handle)
    try handle.close()
    return try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
}
