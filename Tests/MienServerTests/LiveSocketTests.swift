import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MienTesting
import Synchronization
import XCTest
@testable import MienServer

/// `GET /v1/live` with a real WebSocket client sending the sample video's frames as JPEGs at 30 frames/s.
final class LiveSocketTests: XCTestCase {
    /// The first `count` frames of the sample video at 1280×720, as JPEG files.
    static func frames(count: Int, in dir: URL) throws -> [Data] {
        let run = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/ffmpeg"),
            ["-v", "error", "-y", "-i", MediaRouteTests.video.path, "-frames:v", "\(count)", "-vf", "scale=1280:720",
             "-q:v", "4", dir.appendingPathComponent("f%03d.jpg").path], environment: [:], timeout: 60, what: "ffmpeg")
        XCTAssertEqual(run.status, 0, run.output)
        return try (1...count).map { try Data(contentsOf: dir.appendingPathComponent(String(format: "f%03d.jpg", $0))) }
    }

    func testLiveFramesAreAnsweredAndDropsCounted() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let frames = try Self.frames(count: 90, in: home)
        XCTAssertGreaterThan(frames.map(\.count).max() ?? 0, 16 << 10, "frames over the 16 KiB default")
        let server = try ServerHarness.server(home: home)
        let logger = Logger(label: "live-test")
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let received = Mutex<[(String, UInt64)]>([])
            let sentAt = SendTimes()
            let started = DispatchTime.now().uptimeNanoseconds
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live",
                                                          configuration: .init(maxFrameSize: 1 << 20),
                                                          logger: logger) { inbound, outbound, _ in
                let sender = Task {
                    try await outbound.write(.text("hello"))
                    try await outbound.write(.binary(ByteBuffer(string: "garbage, not a JPEG")))
                    for (i, frame) in frames.enumerated() {
                        // 30 frames/s, paced from the start so the rate holds on average.
                        let due = started + UInt64(i) * 33_333_333
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { try await Task.sleep(for: .nanoseconds(Int(due - now))) }
                        sentAt.times.withLock { $0.append(DispatchTime.now().uptimeNanoseconds) }
                        try await outbound.write(.binary(ByteBuffer(bytes: frame)))
                    }
                    try await outbound.write(.text("end"))
                }
                // The server answers as frames are analysed, then the summary, then closes.
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message {
                        received.withLock { $0.append((text, DispatchTime.now().uptimeNanoseconds)) }
                    }
                }
                try await sender.value
            }
            XCTAssertNotNil(close)
            let timed = received.withLock { $0 }.compactMap { text, at in
                (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]).map { ($0, at) }
            }
            let messages = timed.map(\.0)
            let errors = messages.compactMap { ($0["error"] as? [String: Any])?["code"] as? String }
            XCTAssertEqual(errors, ["binary_expected", "not_a_jpeg"])
            let answers = messages.filter { $0["kind"] as? String == "video-frame" }
            XCTAssertGreaterThan(answers.count, 3, "frames answered")
            XCTAssertTrue(answers.allSatisfy { $0["faces"] is [Any] && $0["dropped"] is Int && $0["sequence"] is Int })
            let sequences = answers.compactMap { $0["sequence"] as? Int }
            XCTAssertEqual(sequences, sequences.sorted(), "answers in the order sent")
            XCTAssertEqual(Set(sequences).count, sequences.count)
            XCTAssertTrue(answers.contains { ($0["faces"] as? [Any])?.isEmpty == false }, "faces found in the sample")
            let summary = try XCTUnwrap(messages.first { $0["kind"] as? String == "live-summary" })
            XCTAssertEqual(summary["frames_received"] as? Int, 90)
            let analysed = summary["frames_analysed"] as? Int ?? 0
            XCTAssertEqual(analysed, answers.count)
            XCTAssertEqual(analysed + (summary["frames_dropped"] as? Int ?? -1), 90)
            // The numbers for docs/SERVER.md: answers a second, answer latency from the frame's send, drops.
            let sent = sentAt.times.withLock { $0 }
            let latencies = timed.filter { $0.0["kind"] as? String == "video-frame" }.compactMap { doc, at -> Double? in
                guard let index = doc["sequence"] as? Int, index < sent.count else { return nil }
                return Double(at - sent[index]) / 1e6
            }.sorted()
            let span = Double((timed.last?.1 ?? started) - started) / 1e9
            if !latencies.isEmpty {
                print(String(format: "live: %d frames sent at 30/s, %d answered (%.1f/s), %d dropped; latency p50 %.0f ms, p99 %.0f ms",
                             sent.count, analysed, Double(analysed) / max(span, 0.001), summary["frames_dropped"] as? Int ?? -1,
                             latencies[latencies.count / 2], latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]))
            }
        }
    }

    /// `?blendshapes_every=2`: the face mesh on a live connection, as `mien live --blendshapes-every 2`; a server
    /// without the mesh refuses the same request before the upgrade.
    func testLiveFaceMeshOnRequest() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let frames = try Self.frames(count: 24, in: home)
        let server = try ServerHarness.server(home: home)
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let answers = try await Self.frameAnswers(port: port, query: "blendshapes_every=2", frames: frames,
                                                      pause: .milliseconds(100))
            let faces = answers.flatMap { $0["faces"] as? [[String: Any]] ?? [] }
            XCTAssertGreaterThan(faces.count, 3, "faces answered")
            let meshed = faces.filter { $0["blendshapes"] is [String: Any] && $0["mesh_frame"] is Int }
            XCTAssertGreaterThan(meshed.count, 0, "blendshapes on a live connection that asked for them")
            let smile = meshed.compactMap {
                (($0["blendshapes"] as? [String: Any])?["coefficients"] as? [String: Any])?["mouthSmileLeft"] as? Double
            }
            XCTAssertFalse(smile.isEmpty)
            XCTAssertTrue(smile.allSatisfy { (0...1).contains($0) })
            let gazed = meshed.filter { $0["gaze"] is [String: Any] }
            XCTAssertGreaterThan(gazed.count, 0, "iris gaze with the mesh")
        }

        // Its own home: one server at a time holds a home (its video jobs).
        let plain = try ServerHarness.server(home: home.appendingPathComponent("plain")) { $0.blendshapes = false }
        try await plain.application().test(.live) { client in
            await Self.assertUpgradeRefused(port: try XCTUnwrap(client.port), queries: ["blendshapes=true", "blendshapes_every=0"],
                                            "on a server without the mesh")
        }
    }

    /// Sends `frames` to `/v1/live?query`, `pause` apart, then `end`; the `video-frame` answers.
    static func frameAnswers(port: Int, query: String, frames: [Data], pause: Duration) async throws -> [[String: Any]] {
        let texts = Mutex<[String]>([])
        _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live?\(query)",
                                              configuration: .init(maxFrameSize: 1 << 20),
                                              logger: Logger(label: "live-test")) { inbound, outbound, _ in
            let sender = Task {
                for frame in frames {
                    try await outbound.write(.binary(ByteBuffer(bytes: frame)))
                    try await Task.sleep(for: pause)
                }
                try await outbound.write(.text("end"))
            }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { texts.withLock { $0.append(text) } }
            }
            try await sender.value
        }
        return texts.withLock { $0 }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["kind"] as? String == "video-frame" }
    }

    /// Each of `queries` on `/v1/live` is refused before the upgrade (an HTTP answer, no socket).
    static func assertUpgradeRefused(port: Int, queries: [String], _ why: String,
                                     file: StaticString = #filePath, line: UInt = #line) async {
        for query in queries {
            do {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live?\(query)",
                                                  logger: Logger(label: "live-test")) { _, _, _ in
                    XCTFail("upgraded with \(query) \(why)", file: file, line: line)
                }
                XCTFail("the upgrade with \(query) should be refused \(why)", file: file, line: line)
            } catch {}
        }
    }

    func testOversizeFrameClosesWith1009AndTheServerGoesOn() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home) { $0.maxFrameBytes = 256 << 10 }
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let texts = Mutex<[String]>([])
            let big = Data([0xFF, 0xD8]) + Data(count: 512 << 10)
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live",
                                                          configuration: .init(maxFrameSize: 1 << 20),
                                                          logger: Logger(label: "live-test")) { inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: big)))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { texts.withLock { $0.append(text) } }
                }
            }
            // A frame over the limit is refused by the WebSocket layer itself: close code 1009, nothing analysed.
            XCTAssertEqual(close?.closeCode, .messageTooLarge, "\(String(describing: close))")
            XCTAssertFalse(texts.withLock { $0 }.contains { $0.contains("video-frame") })
            // The server goes on serving after it.
            let r = try await client.execute(uri: "/healthz", method: .get)
            XCTAssertEqual(r.status, .ok)
        }
    }

    func testUpgradeNeedsAValidKeyBeforeTheSocketOpens() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let keys = try APIKeyStore(url: home.appendingPathComponent("keys.sqlite"))
        let secret = try keys.create(name: "cam", purpose: "personal-use").secret
        let server = try ServerHarness.server(home: home)
        let logger = Logger(label: "live-test")
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            do {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live?token=wrong", logger: logger) { _, _, _ in
                    XCTFail("upgraded without a valid key")
                }
                XCTFail("the upgrade should be refused")
            } catch {}
            let opened = Mutex(false)
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/live?token=\(secret)",
                                              logger: logger) { _, outbound, _ in
                opened.withLock { $0 = true }
                try await outbound.close(.normalClosure, reason: nil)
            }
            XCTAssertTrue(opened.withLock { $0 })
        }
    }
}

/// When each frame went out (shared with the sending task).
final class SendTimes: Sendable {
    let times = Mutex<[UInt64]>([])
}
