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

    func testPageUploadsAPhotoAndRendersFacesAndUncertainty() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing: run scripts/install-deps.sh (apt-get install chromium chromium-driver)")
        }
        let probe = try TestSupport.process(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import selenium"],
                                            environment: [:], timeout: 30, what: "python3 -c 'import selenium'")
        if probe.status != 0 { throw XCTSkip("Selenium is missing: run scripts/install-deps.sh (pip install selenium)") }

        let home = try TestSupport.temporaryDirectory(self)
        let out = TestSupport.repository.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let screenshot = out.appendingPathComponent("server-page.png")
        try? FileManager.default.removeItem(at: screenshot)
        let script = TestSupport.repository.appendingPathComponent("Tests/MienServerTests/Browser/page_check.py")
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
                                              ["python3", script.path, "http://127.0.0.1:\(port)", Self.photo.path, screenshot.path],
                                              environment: [:], timeout: 180, what: "page_check.py")
            XCTAssertEqual(run.status, 0, run.output)
            let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(result["faces"] as? Int, faces.count, run.stdout)
            XCTAssertEqual(result["uncertain"] as? Int, uncertain, run.stdout)
            XCTAssertEqual(result["bars"] as? Int, faces.count * 8, "eight probability bars a face")
            XCTAssertEqual(result["image_width"] as? Int, api["images"].flatMap { ($0 as? [[String: Any]])?.first?["width"] as? Int })
            XCTAssertEqual(result["tools_before"] as? String, "true", "nothing can be analysed before the notice")
            XCTAssertEqual(result["tools_after"] as? String, "false")
            XCTAssertEqual(result["notice_mentions_felt"] as? Bool, true)
            // The webcam mode's round trip over /v1/live (Chromium's synthetic camera shows no face).
            let live = result["live_status"] as? String ?? ""
            XCTAssertTrue(live.contains("face(s)") && live.contains("dropped"), live)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "the screenshot \(screenshot.path) is written")
    }
}
