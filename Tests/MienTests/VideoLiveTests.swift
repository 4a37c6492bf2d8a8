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

    /// `--body-every 2`: the body keypoints of the person in the stream on every 2nd analysed frame, carried between.
    func testBodyKeypointsOnRequest() throws {
        let home = try TestSupport.temporaryDirectory(self)
        // -re: at the stream's own rate, as a camera sends it.
        let run = try VideoSupport.shell("ffmpeg -v error -re -i \"$SAMPLE\" -t 3 -f mjpeg -q:v 5 - | \"$MIEN\" live - "
                                         + "--measures-only --body-every 2", home: home, timeout: 90)
        XCTAssertEqual(run.status, 0, run.stderr)
        var bodyFrames = Set<Int>(), withBody = 0, faces = 0
        for line in run.stdout.split(separator: "\n") {
            let frame = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for face in frame["faces"] as? [[String: Any]] ?? [] {
                faces += 1
                guard let body = face["body"] as? [String: Any], let at = face["body_frame"] as? Int else { continue }
                withBody += 1
                bodyFrames.insert(at)
                XCTAssertLessThanOrEqual(at, frame["frame"] as? Int ?? -1, "carried from an earlier frame, never a later one")
                XCTAssertFalse(body.isEmpty)
            }
        }
        XCTAssertGreaterThan(faces, 10, run.stderr)
        XCTAssertGreaterThan(withBody, faces / 2, "the person's body is found: \(withBody) of \(faces) faces")
        XCTAssertGreaterThan(bodyFrames.count, 2, "measured again as the stream goes on")
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
