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
        // Three faces, all right: every resample is all right too, so the interval is a point; the report says how
        // little three faces can tell about calibration (a calibrated model could be off by tens of points).
        XCTAssertEqual(c["accuracyInterval"] as? [Double], [1.0, 1.0])
        let u = try XCTUnwrap(c["eceUncertainty"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(u["calibratedFloor"] as? Double), 0.1)
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

/// `mien eval --framing`: do the pipeline's crops reproduce the framing the expression model was trained on?
final class FramingCheckTests: XCTestCase {
    func testPipelineCropsReproduceTheTrainingFraming() throws {
        let fer = BatchSupport.sharedData.appendingPathComponent("fer2013")
        guard FileManager.default.fileExists(atPath: fer.appendingPathComponent("labels.csv").path) else {
            throw XCTSkip("FER2013 not found at \(fer.path) (see ../shared/data/fer2013/README.md)")
        }
        let home = try TestSupport.temporaryDirectory(self)
        let crops = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["eval", "--data", fer.path, "--framing", "--limit", "300", "--json",
                                       "--write-crops", crops.path], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        func median(_ key: String) throws -> Double {
            try XCTUnwrap((r[key] as? [String: Any])?["median"] as? Double, key)
        }
        let faces = try XCTUnwrap(r["faces"] as? Int), found = try XCTUnwrap(r["found"] as? Int)
        XCTAssertGreaterThan(faces, 280, "rows of the first 300 with a FER+ majority")
        XCTAssertGreaterThan(Double(found) / Double(faces), 0.9, "BlazeFace finds the up-sampled faces")
        // The typical face comes out as the dataset framed it: same size, upright, centred.
        XCTAssertEqual(try median("scale"), 1, accuracy: 0.1, "PublicTest: median 0.937, within the ±12% scale augmentation")
        XCTAssertEqual(try median("rotationDegrees"), 0, accuracy: 3)
        XCTAssertEqual(try median("shiftX"), 0, accuracy: 1.5)
        XCTAssertEqual(try median("shiftY"), 0, accuracy: 1.5)
        let direct = try XCTUnwrap((r["datasetCrop"] as? [String: Any])?["accuracy"] as? Double)
        let piped = try XCTUnwrap((r["pipelineCrop"] as? [String: Any])?["accuracy"] as? Double)
        XCTAssertGreaterThan(direct, 0.75)
        XCTAssertGreaterThan(piped, direct - 0.05, "the pipeline's crop reads as well as the training crop")
        // Every row's crop was kept, in row order, for the fine-tune.
        let bytes = try Data(contentsOf: crops.appendingPathComponent("PrivateTest.u8"))
        let index = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: crops.appendingPathComponent("PrivateTest.json"))) as? [String: Any])
        XCTAssertEqual(bytes.count, 300 * 48 * 48)
        XCTAssertEqual((index["rows"] as? [Int])?.count, 300)
        XCTAssertGreaterThan((index["aligned"] as? [Bool])?.filter { $0 }.count ?? 0, 270, "aligned by landmarks")
    }

    func testTrainingSplitNeedsTheFramingCheck() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["eval", "--split", "Training"], home: home)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--framing"), run.stderr)
    }
}
