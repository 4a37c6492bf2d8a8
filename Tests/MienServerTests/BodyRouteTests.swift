import Foundation
import Hummingbird
import HummingbirdTesting
import MienTesting
import XCTest
@testable import MienServer

/// `body=true` on `POST /v1/analyze` and on the live WebSocket (`body_every=K`), on a real server over loopback with
/// the real body models (`mien serve --body`); a server without them refuses with `400 body_off`.
final class BodyRouteTests: XCTestCase {
    func testAnalyzeFindsTheBodyOnRequestAndAServerWithoutBodyModelsRefuses() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let photo = try Data(contentsOf: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let server = try ServerHarness.server(home: home) { $0.body = true; $0.blendshapes = false }
        try await server.application().test(.live) { client in
            let answer = try await client.execute(uri: "/v1/analyze?body=true&measures_only=true", method: .post,
                                                  body: ByteBuffer(bytes: photo))
            XCTAssertEqual(answer.status, .ok, String(buffer: answer.body))
            let faces = try XCTUnwrap(((try ServerHarness.json(answer)["images"] as? [[String: Any]])?.first)?["faces"]
                                      as? [[String: Any]])
            let face = try XCTUnwrap(faces.first)
            let body = try XCTUnwrap(face["body"] as? [String: Any], "\(face.keys.sorted())")
            XCTAssertEqual(body["layout"] as? String, "mediapipe-pose-33")
            let points = try XCTUnwrap(body["points"] as? [[String: Any]])
            XCTAssertEqual(points.count, 33)
            // The astronaut's shoulders are in the picture, below her face.
            let box = try XCTUnwrap(face["box"] as? [String: Double])
            let faceBottom = try XCTUnwrap(box["y"]) + (try XCTUnwrap(box["height"]))
            for name in ["left_shoulder", "right_shoulder"] {
                let point = try XCTUnwrap(points.first { $0["name"] as? String == name })
                XCTAssertGreaterThan(try XCTUnwrap(point["visibility"] as? Double), 0.5, name)
                XCTAssertGreaterThan(try XCTUnwrap(point["y"] as? Double), faceBottom, name)
            }
            XCTAssertNotNil((body["movement"] as? [String: Any])?["shoulder_height"])

            // Off unless asked for, even on a server that loaded the models.
            let plain = try await client.execute(uri: "/v1/analyze?measures_only=true", method: .post,
                                                 body: ByteBuffer(bytes: photo))
            let plainFaces = try XCTUnwrap(((try ServerHarness.json(plain)["images"] as? [[String: Any]])?.first)?["faces"]
                                           as? [[String: Any]])
            XCTAssertNil(plainFaces.first?["body"])
            let bad = try await client.execute(uri: "/v1/analyze?body=maybe", method: .post, body: ByteBuffer(bytes: photo))
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertEqual(ServerHarness.errorCode(bad), "bad_parameter")
        }

        // Its own home: one server at a time holds a home (its video jobs).
        let without = try ServerHarness.server(home: home.appendingPathComponent("without")) { $0.blendshapes = false }
        try await without.application().test(.live) { client in
            let refused = try await client.execute(uri: "/v1/analyze?body=true", method: .post,
                                                   body: ByteBuffer(bytes: photo))
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertEqual(ServerHarness.errorCode(refused), "body_off")
            XCTAssertTrue(String(buffer: refused.body).contains("mien serve --body"), String(buffer: refused.body))
            let off = try await client.execute(uri: "/v1/analyze?body=false", method: .post, body: ByteBuffer(bytes: photo))
            XCTAssertEqual(off.status, .ok, String(buffer: off.body))
        }
    }

    /// `?body_every=2` as `mien video --body-every 2`: body values on every 2nd analysed frame, carried between.
    func testLiveBodyEveryKOnRequest() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let frames = try LiveSocketTests.frames(count: 24, in: home)
        let server = try ServerHarness.server(home: home) { $0.body = true; $0.blendshapes = false }
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let answers = try await LiveSocketTests.frameAnswers(port: port, query: "body_every=2&measures_only=true",
                                                                 frames: frames, pause: .milliseconds(150))
            var analysed = Set<Int>(), measured = Set<Int>()
            for answer in answers {
                let frame = try XCTUnwrap(answer["frame"] as? Int)
                for face in answer["faces"] as? [[String: Any]] ?? [] {
                    analysed.insert(frame)
                    guard let bodyFrame = face["body_frame"] as? Int else { continue }
                    XCTAssertLessThanOrEqual(bodyFrame, frame)
                    let points = try XCTUnwrap((face["body"] as? [String: Any])?["points"] as? [[String: Any]])
                    XCTAssertEqual(points.count, 33)
                    measured.insert(bodyFrame)
                }
            }
            XCTAssertGreaterThan(analysed.count, 4, "frames with faces answered")
            XCTAssertGreaterThan(measured.count, 1, "body values on a connection that asked for them")
            XCTAssertLessThan(measured.count, analysed.count, "measured on every 2nd analysed frame, carried between")
        }

        // Its own home: one server at a time holds a home (its video jobs).
        let without = try ServerHarness.server(home: home.appendingPathComponent("without")) { $0.blendshapes = false }
        try await without.application().test(.live) { client in
            await LiveSocketTests.assertUpgradeRefused(port: try XCTUnwrap(client.port), queries: ["body=true", "body_every=3"],
                                                       "on a server without the body models")
            // What the refused upgrade answers: 400. (hummingbird-websocket answers every refused upgrade with an empty
            // 400, dropping the route's JSON error; /v1/analyze above shows the typed body_off.)
            let upgrade: HTTPFields = [.connection: "Upgrade", .upgrade: "websocket", .secWebSocketVersion: "13",
                                       .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ=="]
            let answer = try await client.execute(uri: "/v1/live?body_every=3", method: .get, headers: upgrade)
            XCTAssertEqual(answer.status, .badRequest, String(buffer: answer.body))
            // The same server upgrades a connection that does not ask for the body.
            let plain = try await LiveSocketTests.frameAnswers(port: try XCTUnwrap(client.port), query: "measures_only=true",
                                                               frames: Array(frames.prefix(3)), pause: .milliseconds(150))
            XCTAssertFalse(plain.isEmpty, "a connection without body=true is served")
            XCTAssertTrue(plain.allSatisfy { ($0["faces"] as? [[String: Any]] ?? []).allSatisfy { $0["body"] == nil } })
        }
    }
}
