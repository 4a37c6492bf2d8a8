import Foundation
import MienTesting
import XCTest

/// `mien eval --images DIR --labels CSV`: the whole pipeline on a labelled folder, missed faces counted apart.
final class EvalCommandTests: XCTestCase {
    func testLabelledFolderThroughTheWholePipeline() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let dir = try TestSupport.temporaryDirectory(self)
        for name in ["nasa_astronaut_eileen_collins.png", "pexels_18175_angry_closeup.jpg"] {
            try FileManager.default.copyItem(at: TestSupport.sample(name), to: dir.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: TestSupport.fixture("video_frame_13s5_smile.jpg"),
                                         to: dir.appendingPathComponent("smile.jpg"))
        try FileManager.default.copyItem(at: TestSupport.fixture("no_face_flag.jpg"),
                                         to: dir.appendingPathComponent("flag.jpg"))
        let labels = dir.appendingPathComponent("labels.csv")
        try """
            file,label
            nasa_astronaut_eileen_collins.png,happy
            pexels_18175_angry_closeup.jpg,anger
            smile.jpg,happiness
            flag.jpg,neutral
            """.write(to: labels, atomically: true, encoding: .utf8)
        let run = try TestSupport.run(["eval", "--images", dir.path, "--labels", labels.path, "--json"], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        // One report per prior: natural first, then balanced.
        let reports = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(reports.count, 2)
        for report in reports {
            XCTAssertEqual(report["photos"] as? Int, 4)
            XCTAssertEqual(report["missedFaces"] as? Int, 1, "the flag has no face: missed, not wrong")
            XCTAssertEqual((report["classification"] as? [String: Any])?["count"] as? Int, 3)
        }
        let c = try XCTUnwrap(reports[0]["classification"] as? [String: Any])
        XCTAssertEqual(c["prior"] as? String, "natural")
        XCTAssertEqual(c["accuracy"] as? Double, 1.0, "astronaut, angry close-up and the laugh are clear expressions")
        XCTAssertEqual((reports[1]["classification"] as? [String: Any])?["prior"] as? String, "balanced")
    }

    func testMissingLabelsIsAUsageError() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["eval", "--images", "/tmp"], home: home)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--labels"), run.stderr)
    }
}
