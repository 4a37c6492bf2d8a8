import Foundation
import Hummingbird
import HummingbirdTesting
import Mien
import MienStore
import MienTesting
import XCTest
@testable import MienServer

/// `POST /v1/voice` and the video jobs (`/v1/videos…`), durable across restarts.
final class MediaRouteTests: XCTestCase {
    static let video = TestSupport.sample("pexels_wolfgang_langer_3063838_expressions.mp4")

    func testVoiceAnswersTheVoiceDocument() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let server = try ServerHarness.server(home: home)
        let wav = Self.toneWAV(seconds: 2)
        try await server.application().test(.live) { client in
            let r = try await client.execute(uri: "/v1/voice", method: .post, body: ByteBuffer(bytes: wav))
            XCTAssertEqual(r.status, .ok, String(buffer: r.body))
            let doc = try ServerHarness.json(r)
            XCTAssertEqual(doc["kind"] as? String, "voice")
            XCTAssertEqual(doc["duration"] as? Double ?? 0, 2, accuracy: 0.1)
            let bad = try await client.execute(uri: "/v1/voice", method: .post, body: ByteBuffer(string: "RIFFnonsense"))
            XCTAssertEqual(bad.status, .unprocessableContent, String(buffer: bad.body))
            XCTAssertEqual(ServerHarness.errorCode(bad), "bad_audio")
            XCTAssertFalse(String(buffer: bad.body).contains("mien-voice-"), "no temporary paths in answers")
        }
    }

    func testVideoJobRunsToDoneWithAllThreeResultsAndDeletes() async throws {
        let home = try TestSupport.temporaryDirectory(self)
        let clip = home.appendingPathComponent("clip.mp4")
        // 3 s of the sample keep the test short.
        let cut = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/ffmpeg"),
                                          ["-v", "error", "-y", "-i", Self.video.path, "-t", "3", "-an", "-c:v", "libx264",
                                           "-preset", "ultrafast", clip.path], environment: [:], timeout: 60, what: "ffmpeg")
        XCTAssertEqual(cut.status, 0, cut.output)
        let server = try ServerHarness.server(home: home)
        let body = ByteBuffer(bytes: try Data(contentsOf: clip))
        try await server.application().test(.live) { client in
            let posted = try await client.execute(uri: "/v1/videos", method: .post,
                                                  headers: [.contentType: "video/mp4"], body: body)
            XCTAssertEqual(posted.status, .accepted, String(buffer: posted.body))
            let id = try XCTUnwrap(try ServerHarness.json(posted)["id"] as? String)
            XCTAssertEqual(posted.headers[.location], "/v1/videos/\(id)")
            var state = ""
            var status: [String: Any] = [:]
            for _ in 0..<240 where state != "done" && state != "failed" {
                try await Task.sleep(for: .milliseconds(500))
                status = try ServerHarness.json(try await client.execute(uri: "/v1/videos/\(id)", method: .get))
                state = status["state"] as? String ?? ""
            }
            XCTAssertEqual(state, "done", "\(status)")
            XCTAssertEqual(status["progress"] as? Double, 1)
            let jsonl = try await client.execute(uri: "/v1/videos/\(id)/result?format=jsonl", method: .get)
            XCTAssertEqual(jsonl.status, .ok)
            let lines = String(buffer: jsonl.body).split(separator: "\n")
            XCTAssertGreaterThan(lines.count, 10)
            XCTAssertTrue(lines[0].contains("\"video-frame\""))
            let csv = try await client.execute(uri: "/v1/videos/\(id)/result?format=csv", method: .get)
            XCTAssertTrue(String(buffer: csv.body).hasPrefix("frame"), String(String(buffer: csv.body).prefix(80)))
            let html = try await client.execute(uri: "/v1/videos/\(id)/result?format=html", method: .get)
            XCTAssertTrue(String(buffer: html.body).contains("<html"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: server.videos.jobFolder(id).appendingPathComponent("input").path),
                           "the upload is deleted once analysed")
            let bad = try await client.execute(uri: "/v1/videos/\(id)/result?format=pdf", method: .get)
            XCTAssertEqual(bad.status, .badRequest)
            let deleted = try await client.execute(uri: "/v1/videos/\(id)", method: .delete)
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await client.execute(uri: "/v1/videos/\(id)", method: .get)
            XCTAssertEqual(gone.status, .notFound)
            XCTAssertFalse(FileManager.default.fileExists(atPath: server.videos.jobFolder(id).path))

            let notVideo = try await client.execute(uri: "/v1/videos", method: .post,
                                                    body: try ServerHarness.fixture("bench_640x480.jpg"))
            XCTAssertEqual(notVideo.status, .unprocessableContent, String(buffer: notVideo.body))
            XCTAssertFalse(String(buffer: notVideo.body).contains(home.path), "no server paths in answers")
        }
    }

    /// The server's video jobs are tasks of the batch job store: a crash leaves them `running`; the next server
    /// queues them again once, parks (shows `failed` with the reason) those started twice, and removes job folders
    /// that never became tasks.
    func testJobsLeftRunningByACrashAreRequeuedOnceThenFailedWithAReason() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let videos = home.appendingPathComponent("videos", isDirectory: true)
        func folder(_ id: String) throws -> URL {
            let dir = videos.appendingPathComponent(id, isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data("not analysed".utf8).write(to: dir.appendingPathComponent("input"))
            return dir
        }
        do {
            // What a server killed twice leaves behind.
            let store = try SQLiteJobStore(url: home.appendingPathComponent("video-jobs.sqlite"), exclusive: true)
            for id in ["crashed-twice", "crashed-once"] {
                let dir = try folder(id)
                let spec = VideoJobSpec(id: id, actor: "local-user", purpose: "personal-use", measuresOnly: false)
                try JSONEncoder().encode(spec).write(to: dir.appendingPathComponent("job.json"))
                _ = try store.prepare(VideoJobs.manifest, tasks: [
                    NewTask(input: dir.appendingPathComponent("input").path, kind: .video, key: id)])
            }
            XCTAssertEqual(try store.claim(worker: "killed-1")?.key, "crashed-twice")
            XCTAssertEqual(try store.recoverInterrupted(maxAttempts: VideoJobs.maxAttempts), 1)
            XCTAssertEqual(try store.claim(worker: "killed-2")?.attempt, 2)
            XCTAssertEqual(try store.claim(worker: "killed-2")?.key, "crashed-once")
            _ = try folder("upload-cut-off")   // no job.json, no task
        }
        // A new server over the same files (a restart) recovers them.
        let server = try ServerHarness.server(home: home)
        XCTAssertEqual(try server.videos.recover(), 2)
        let once = try XCTUnwrap(try server.videos.job(id: "crashed-once"))
        XCTAssertEqual(once.state, "queued")
        XCTAssertNil(once.failure)
        let twice = try XCTUnwrap(try server.videos.job(id: "crashed-twice"))
        XCTAssertEqual(twice.state, "failed")
        XCTAssertEqual(twice.task.state, .parked)
        XCTAssertTrue(twice.failure?.contains("stopped 2 times") == true, twice.failure ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: videos.appendingPathComponent("upload-cut-off").path),
                       "a job folder without a task is removed at start-up")
        XCTAssertNil(try server.videos.job(id: "../video-jobs.sqlite"), "ids are names, not paths")
        // A second server on the same home is refused: it would requeue the first one's running job.
        XCTAssertThrowsError(try ServerHarness.server(home: home)) { error in
            XCTAssertTrue("\(error)".contains("another 'mien serve'"), "\(error)")
        }
    }

    /// A 16-bit mono WAV of a 220 Hz tone with harmonics (voice-like enough for the prosody stages).
    static func toneWAV(seconds: Double, rate: Int = 16000) -> Data {
        let n = Int(seconds * Double(rate))
        var pcm = Data(capacity: n * 2)
        for i in 0..<n {
            let t = Double(i) / Double(rate)
            let v = 0.3 * sin(2 * .pi * 220 * t) + 0.15 * sin(2 * .pi * 440 * t) + 0.05 * sin(2 * .pi * 660 * t)
            let s = Int16(max(-1, min(1, v)) * 32000)
            pcm.append(UInt8(truncatingIfNeeded: s)); pcm.append(UInt8(truncatingIfNeeded: s >> 8))
        }
        func le32(_ v: Int) -> Data { Data([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]) }
        func le16(_ v: Int) -> Data { Data([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
        var d = Data("RIFF".utf8) + le32(36 + pcm.count) + Data("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1)
        d += le32(rate) + le32(rate * 2) + le16(2) + le16(16) + Data("data".utf8) + le32(pcm.count)
        return d + pcm
    }
}
