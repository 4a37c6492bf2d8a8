import Foundation
import Hummingbird
import HummingbirdTesting
import MienTesting
import XCTest
@testable import MienServer

/// The web page in a real browser: headless Debian Chromium driven by Selenium (Browser/page_check.py) uploads a
/// sample photo; the rendered face count and uncertain states must match what the API says about that photo.
final class BrowserPageTests: XCTestCase {
    static let photo = TestSupport.sample("pexels_1080865_group_meeting.jpg")

    static let script = TestSupport.repository.appendingPathComponent("Tests/MienServerTests/Browser/page_check.py")

    /// Skips when Chromium, chromium-driver or Selenium is missing; answers a fresh screenshot path under out/.
    static func browserReady(screenshot name: String) throws -> URL {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing: run scripts/install-deps.sh (apt-get install chromium chromium-driver)")
        }
        let probe = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import selenium"],
                                            environment: [:], timeout: 30, what: "python3 -c 'import selenium'")
        if probe.status != 0 { throw XCTSkip("Selenium is missing: run scripts/install-deps.sh (pip install selenium)") }
        let out = TestSupport.repository.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let screenshot = out.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: screenshot)
        return screenshot
    }

    func testPageUploadsAPhotoAndRendersFacesAndUncertainty() async throws {
        let screenshot = try Self.browserReady(screenshot: "server-page.png")
        let home = try TestSupport.temporaryDirectory(self)
        let script = Self.script
        // A 3-second clip of the sample video and a 2-second tone for the video and audio flows.
        let clip = home.appendingPathComponent("clip.mp4")
        let cut = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/ffmpeg"),
                                          ["-v", "error", "-y", "-i", MediaRouteTests.video.path, "-t", "3", "-an",
                                           "-c:v", "libx264", "-preset", "ultrafast", clip.path],
                                          environment: [:], timeout: 60, what: "ffmpeg")
        XCTAssertEqual(cut.status, 0, cut.output)
        let tone = home.appendingPathComponent("tone.wav")
        try MediaRouteTests.toneWAV(seconds: 2).write(to: tone)
        let server = try ServerHarness.server(home: home)
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // What the API says about the photo: the page must show the same.
            let api = try ServerHarness.json(try await client.execute(
                uri: "/v1/analyze", method: .post, body: ByteBuffer(bytes: try Data(contentsOf: Self.photo))))
            let faces = try XCTUnwrap(((api["images"] as? [[String: Any]])?.first)?["faces"] as? [[String: Any]])
            let uncertain = faces.filter { ($0["expression"] as? [String: Any])?["label"] as? String == "uncertain" }.count
            XCTAssertGreaterThan(uncertain, 0, "the group photo has faces the model abstains on")

            let run = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/env"),
                                              ["python3", script.path, "http://127.0.0.1:\(port)", Self.photo.path, screenshot.path,
                                               clip.path, tone.path],
                                              environment: [:], timeout: 180, what: "page_check.py")
            XCTAssertEqual(run.status, 0, run.output)
            let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(result["faces"] as? Int, faces.count, run.stdout)
            XCTAssertEqual(result["uncertain"] as? Int, uncertain, run.stdout)
            XCTAssertEqual(result["bars"] as? Int, faces.count * 8, "eight probability bars a face")
            XCTAssertEqual(result["image_width"] as? Int, api["images"].flatMap { ($0 as? [[String: Any]])?.first?["width"] as? Int })
            XCTAssertEqual(result["body_toggle_enabled"] as? Bool, false, "this server has no body models: \(run.stdout)")
            XCTAssertEqual(result["tools_before"] as? String, "true", "nothing can be analysed before the notice")
            XCTAssertEqual(result["tools_after"] as? String, "false")
            XCTAssertEqual(result["notice_mentions_felt"] as? Bool, true)
            // The webcam mode's round trip over /v1/live (Chromium's synthetic camera shows no face).
            let live = result["live_status"] as? String ?? ""
            XCTAssertTrue(live.contains("face(s)") && live.contains("dropped"), live)
            // The video flow ends in the HTML timeline report; the audio flow shows the voice result.
            XCTAssertTrue((result["video_status"] as? String ?? "").contains("done"), run.stdout)
            XCTAssertEqual(result["video_progress"] as? Double, 1, run.stdout)
            XCTAssertGreaterThan(result["report_length"] as? Int ?? 0, 1000, run.stdout)
            XCTAssertTrue((result["audio_status"] as? String ?? "").contains("2.0 s of audio"), run.stdout)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "the screenshot \(screenshot.path) is written")
    }

    /// A server started with `--body`: the page's body toggle is on offer; switched on, the photo's face shows the
    /// body movement the API measures (the astronaut's shoulders are in the picture), beside gaze and blendshapes.
    func testBodyToggleShowsBodyMovementOnAServerWithTheBodyModels() async throws {
        let screenshot = try Self.browserReady(screenshot: "server-page-body.png")
        let home = try TestSupport.temporaryDirectory(self)
        let photo = TestSupport.sample("nasa_astronaut_eileen_collins.png")
        let server = try ServerHarness.server(home: home) { $0.body = true }
        try await server.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let api = try ServerHarness.json(try await client.execute(
                uri: "/v1/analyze?body=true", method: .post, body: ByteBuffer(bytes: try Data(contentsOf: photo))))
            let face = try XCTUnwrap(((api["images"] as? [[String: Any]])?.first?["faces"] as? [[String: Any]])?.first)
            let movement = try XCTUnwrap((face["body"] as? [String: Any])?["movement"] as? [String: Any])
            let run = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/env"),
                                              ["python3", Self.script.path, "--body", "http://127.0.0.1:\(port)", photo.path,
                                               screenshot.path],
                                              environment: [:], timeout: 120, what: "page_check.py --body")
            XCTAssertEqual(run.status, 0, run.output)
            let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(result["toggle_enabled"] as? Bool, true, run.stdout)
            XCTAssertEqual(result["faces"] as? Int, 1, run.stdout)
            let shown = try XCTUnwrap((result["per_face"] as? [[String: Any]])?.first, run.stdout)
            XCTAssertEqual(shown["body_rows"] as? Int, movement.count, "one row per body measure the API gives: \(run.stdout)")
            XCTAssertEqual(shown["blendshape_rows"] as? Int, 6, run.stdout)
            let text = shown["text"] as? String ?? ""
            XCTAssertTrue(text.contains("shoulder height") && text.contains("Gaze"), text)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "the screenshot \(screenshot.path) is written")
    }
}
