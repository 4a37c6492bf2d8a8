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
        // One report per label set and prior: perceived natural, perceived balanced, intended natural, intended balanced.
        let reports = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(reports.count, 4)
        for report in reports {
            XCTAssertEqual(report["photos"] as? Int, 4)
            XCTAssertEqual(report["missedFaces"] as? Int, 1, "the flag has no face: missed, not wrong")
            XCTAssertEqual((report["classification"] as? [String: Any])?["count"] as? Int, 3)
        }
        let c = try XCTUnwrap(reports[0]["classification"] as? [String: Any])
        XCTAssertEqual(c["prior"] as? String, "natural")
        XCTAssertEqual(c["accuracy"] as? Double, 1.0, "astronaut, angry close-up and the laugh are clear expressions")
        XCTAssertEqual((reports[1]["classification"] as? [String: Any])?["prior"] as? String, "balanced")
        // The intended label set: FER2013's head and 7 classes; "anger" and "happiness" labels map onto its names.
        for (i, prior) in [(2, "natural"), (3, "balanced")] {
            let c = try XCTUnwrap(reports[i]["classification"] as? [String: Any])
            XCTAssertEqual(c["head"] as? String, "fer2013")
            XCTAssertEqual(c["prior"] as? String, prior)
            XCTAssertEqual((c["classes"] as? [String])?.count, 7)
            XCTAssertEqual(reports[i]["outsideLabelSet"] as? Int, 0)
            print("intended, \(prior): accuracy \(c["accuracy"] ?? "?")")
        }
        let intended = try XCTUnwrap(reports[2]["classification"] as? [String: Any])
        XCTAssertEqual(intended["accuracy"] as? Double, 1.0, "the same three clear faces, in FER2013's words")
    }

    /// A label the intended set has no class for (contempt) is counted apart there, not scored as wrong.
    func testContemptIsOutsideTheIntendedLabelSet() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let dir = try TestSupport.temporaryDirectory(self)
        try FileManager.default.copyItem(at: TestSupport.sample("nasa_astronaut_eileen_collins.png"),
                                         to: dir.appendingPathComponent("face.png"))
        let labels = dir.appendingPathComponent("labels.csv")
        try "file,label\nface.png,contempt\n".write(to: labels, atomically: true, encoding: .utf8)
        let run = try TestSupport.run(["eval", "--images", dir.path, "--labels", labels.path, "--json"], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        let reports = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(reports.count, 4)
        for (i, report) in reports.enumerated() {
            let c = try XCTUnwrap(report["classification"] as? [String: Any])
            XCTAssertEqual(report["photos"] as? Int, 1)
            XCTAssertEqual(report["outsideLabelSet"] as? Int, i < 2 ? 0 : 1)
            XCTAssertEqual(c["count"] as? Int, i < 2 ? 1 : 0)
        }
    }

    func testMissingLabelsIsAUsageError() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["eval", "--images", "/tmp"], home: home)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--labels"), run.stderr)
    }
}
