import Foundation
import MienTesting
import XCTest

/// `mien live` driven by an MJPEG stream made from the sample video by ffmpeg, as a camera would send it.
final class VideoLiveTests: XCTestCase {
    func testMJPEGOnStdinGivesOneLinePerFrameAndCountsDrops() throws {
        let home = try TestSupport.temporaryDirectory(self)
        // As fast as ffmpeg can encode: analysis cannot keep up, so frames must be dropped, and said so.
        let run = try VideoSupport.shell("ffmpeg -v error -i \"$SAMPLE\" -t 6 -f mjpeg -q:v 5 - | \"$MIEN\" live - "
                                         + "--purpose research-with-consent", home: home, timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 10)
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["kind"] as? String, "video-frame")
        let match = try XCTUnwrap(run.stderr.range(of: #"(\d+) frames analysed, (\d+) dropped"#, options: .regularExpression))
        let numbers = run.stderr[match].split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(numbers[0], lines.count, "every analysed frame printed")
        XCTAssertEqual(numbers[0] + numbers[1], 144, "analysed + dropped = the 6 s of frames sent")
    }

    func testStalledStreamEndsAtTheTimeoutAndMissingCameraFails() throws {
        let home = try TestSupport.temporaryDirectory(self)
        // The writer keeps the pipe open for 8 s after 1 s of frames; mien must end at its 2 s read timeout.
        let stalled = try VideoSupport.shell("""
            (ffmpeg -v error -i "$SAMPLE" -t 1 -f mjpeg -q:v 5 -; sleep 8) | { s=$(date +%s%N); "$MIEN" live - \
              --read-timeout 2 --measures-only >/dev/null; rc=$?; echo "rc=$rc ms=$(( ($(date +%s%N) - s) / 1000000 ))" >&2; }
            """, home: home, timeout: 45)
        XCTAssertTrue(stalled.stderr.contains("rc=1 "), stalled.stderr)
        XCTAssertTrue(stalled.stderr.contains("stopped"), stalled.stderr)
        let ms = Int(stalled.stderr.components(separatedBy: "ms=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99_999
        XCTAssertLessThan(ms, 7_500, "ends at the read timeout, before the writer quits")
        let camera = try TestSupport.run(["live", "/dev/video97", "--measures-only"], home: home, timeout: 30)
        XCTAssertEqual(camera.status, 1)
        XCTAssertTrue(camera.stderr.contains("no such camera"), camera.stderr)
    }
}
