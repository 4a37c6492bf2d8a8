import Foundation
import MienTesting
import XCTest

/// Bad video input through the real binary: a clear error naming the file, or a clean early end whose outputs are
/// valid files holding what was analysed. Never a hang (every run has a deadline), never a crash.
final class VideoBadInputTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory(self) }

    private func video(_ path: String) throws -> TestSupport.Run {
        try TestSupport.run(["video", path, "--quiet", "--jsonl", dir.appendingPathComponent("o.jsonl").path,
                             "--csv", dir.appendingPathComponent("o.csv").path,
                             "--report", dir.appendingPathComponent("o.html").path], home: dir, timeout: 60)
    }

    private func fails(_ path: String, saying fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try video(path)
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(path), "names the file: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.lowercased().contains(fragment), "'\(fragment)' in \(run.stderr)", file: file, line: line)
    }

    func testNotAVideoEmptyMissingAndStillImage() throws {
        let text = dir.appendingPathComponent("notes.mp4")
        try Data("not a video at all\n".utf8).write(to: text)
        try fails(text.path, saying: "not a video")
        let empty = dir.appendingPathComponent("empty.mp4")
        try Data().write(to: empty)
        try fails(empty.path, saying: "empty")
        try fails(dir.appendingPathComponent("missing.mp4").path, saying: "no such file")
        try fails(TestSupport.sample("pexels_18175_angry_closeup.jpg").path, saying: "image, not a video")
    }

    func testZeroFrameVideo() throws {
        // A valid MP4 container whose only stream is sound: no video frame to analyse.
        let silent = dir.appendingPathComponent("silent.mp4")
        let made = try VideoSupport.shell("ffmpeg -v error -y -f lavfi -i anullsrc -t 1 -c:a aac '\(silent.path)'",
                                          home: dir)
        XCTAssertEqual(made.status, 0, made.stderr)
        try fails(silent.path, saying: "not a video")
    }

    func testTruncatedVideoEndsCleanlyWithValidPartialOutputs() throws {
        let cut = dir.appendingPathComponent("cut.mp4")
        try Data(try Data(contentsOf: VideoSupport.sample).prefix(800_000)).write(to: cut)
        let run = try video(cut.path)
        XCTAssertEqual(run.status, 1, "an early end is reported: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("cut short"), run.stderr)
        let lines = VideoSupport.jsonLines(dir.appendingPathComponent("o.jsonl"))
        XCTAssertGreaterThan(lines.count, 100, "frames before the cut were analysed and written")
        XCTAssertEqual(lines.last?["kind"] as? String, "video-summary")
        XCTAssertNotNil(lines.last?["stopped"])
        let rows = VideoSupport.csvRows(dir.appendingPathComponent("o.csv"))
        XCTAssertTrue(rows.allSatisfy { $0.count == rows[0].count }, "every CSV row complete")
        let html = try String(contentsOf: dir.appendingPathComponent("o.html"), encoding: .utf8)
        XCTAssertTrue(html.hasSuffix("</html>\n"))
        XCTAssertTrue(html.contains("ended early"))
    }
}
