import Foundation
import MienTesting
import XCTest

/// `mien video` end to end with the real binary: every output, the trust policy, and the documented columns.
final class VideoOutputTests: XCTestCase {
    func testJSONLCSVReportAndAnnotatedVideo() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let out = { dir.appendingPathComponent($0) }
        let run = try TestSupport.run(["video", VideoSupport.sample.path, "--end", "3", "--quiet",
                                       "--jsonl", out("v.jsonl").path, "--csv", out("v.csv").path,
                                       "--report", out("v.html").path, "--annotate", out("v.mp4").path,
                                       "--purpose", "research-with-consent"], home: dir)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = VideoSupport.jsonLines(out("v.jsonl"))
        let frames = lines.filter { $0["kind"] as? String == "video-frame" }
        XCTAssertGreaterThanOrEqual(frames.count, 70)
        XCTAssertEqual(lines.last?["kind"] as? String, "video-summary")
        XCTAssertTrue(frames.allSatisfy { $0["schema"] as? String == "mien/1" })
        let face = try XCTUnwrap((frames[10]["faces"] as? [[String: Any]])?.first)
        for key in ["track", "box", "landmarks", "pose", "movement_measures", "movement_relative", "expression",
                    "expression_smoothed", "head_speed_deg_s"] {
            XCTAssertNotNil(face[key], "JSONL face has \(key)")
        }
        let rows = VideoSupport.csvRows(out("v.csv"))
        XCTAssertEqual(rows.count, frames.count + 1, "one row per frame with its one face, plus the header")
        let header = rows[0]
        for column in ["frame", "timestamp", "track_id", "pose_yaw", "head_speed", "body_motion", "lip_corner_pull",
                       "lip_corner_pull_rel", "expr_smooth_label", "p_happiness", "ps_sadness", "valence_s", "x_67"] {
            XCTAssertTrue(header.contains(column), "CSV column \(column)")
        }
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == header.count })
        let html = try String(contentsOf: out("v.html"), encoding: .utf8)
        XCTAssertTrue(html.hasSuffix("</html>\n"))
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("data:image/jpeg;base64,"), "thumbnail inline")
        XCTAssertTrue(html.contains("uncertain"), "uncertain shown as a state")
        XCTAssertTrue(html.contains("(recall "), "per-class recall beside labels")
        XCTAssertTrue(html.contains("Notice for the people analysed"))
        XCTAssertFalse(html.contains("src=\"http"), "self-contained")
        let size = (try FileManager.default.attributesOfItem(atPath: out("v.mp4").path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 10_000, "annotated video written")
    }

    func testMeasuresOnlyOutputsHoldNoExpression() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let jsonl = dir.appendingPathComponent("m.jsonl"), csv = dir.appendingPathComponent("m.csv")
        let html = dir.appendingPathComponent("m.html")
        let run = try TestSupport.run(["video", VideoSupport.sample.path, "--end", "1", "--quiet", "--measures-only",
                                       "--jsonl", jsonl.path, "--csv", csv.path, "--report", html.path], home: dir)
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOf: jsonl, encoding: .utf8)
        XCTAssertFalse(text.contains("\"expression"), "no expression anywhere under measures-only")
        XCTAssertFalse(VideoSupport.csvRows(csv)[0].contains { $0.hasPrefix("p_") || $0.hasPrefix("expr") })
        XCTAssertFalse(try String(contentsOf: html, encoding: .utf8).contains("Expression (smoothed"))
    }
}
