import Foundation
import Mien
import MienStore
import MienTesting
import XCTest

/// `mien batch --body --blendshapes` end to end with the real binary and models: the run's options carry them (a
/// resume without them is refused), and both exports carry what `mien analyze --json` and `mien video --csv` carry.
final class BatchMovementTests: XCTestCase {
    func testBodyAndBlendshapesInARunAndItsExports() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let person = TestSupport.sample("nasa_astronaut_eileen_collins.png")
        let closeup = TestSupport.sample("pexels_18175_angry_closeup.jpg")
        let runFile = root.appendingPathComponent("run.sqlite")
        let arguments = ["batch", person.path, closeup.path, "--out", runFile.path, "--jobs", "1", "--quiet"]
        let run = try TestSupport.run(arguments + ["--body", "--blendshapes"], home: root, timeout: 300)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.stdout.contains("done 2, failed 0"), run.stdout)
        // The mesh and body models enter the run's fingerprint beside the expression model.
        let models = try XCTUnwrap(try SQLiteJobStore(url: runFile, exclusive: false).manifest()).models
        XCTAssertTrue(models.contains("mesh=face_landmarks_478.onnx@"), models)
        XCTAssertTrue(models.contains("body=pose_detection.onnx@"), models)

        // The movement options are options of the run: resuming without them is refused with exit code 2.
        let other = try TestSupport.run(arguments, home: root)
        XCTAssertEqual(other.status, 2, other.output)
        XCTAssertTrue(other.stderr.contains("made with other options"), other.stderr)
        XCTAssertTrue(other.stderr.contains("bodyEvery"), "the stored options name the body: \(other.stderr)")

        let jsonl = root.appendingPathComponent("out.jsonl"), csv = root.appendingPathComponent("out.csv")
        for (flag, file) in [("--jsonl", jsonl), ("--csv", csv)] {
            let export = try TestSupport.run(["batch", "export", runFile.path, flag, file.path], home: root)
            XCTAssertEqual(export.status, 0, export.output)
        }

        // JSONL: the mien/1 image documents with the body and blendshape slots of `mien analyze --json`.
        var bodyNose: [String: Double] = [:]
        for line in try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let input = try XCTUnwrap(object["input"] as? String)
            XCTAssertEqual(object["kind"] as? String, "image")
            let faces = try XCTUnwrap((object["result"] as? [String: Any])?["faces"] as? [[String: Any]])
            XCTAssertFalse(faces.isEmpty, input)
            for face in faces {
                let shapes = try XCTUnwrap((face["blendshapes"] as? [String: Any])?["coefficients"] as? [String: Double],
                                           "\(input) has blendshapes")
                XCTAssertEqual(Set(shapes.keys), Set(MeshBlendshapes.names), input)
                XCTAssertNotNil(face["gaze"], "\(input) has gaze")
            }
            if input == person.path {
                let body = try XCTUnwrap(faces.first?["body"] as? [String: Any], "the astronaut has a body")
                let points = try XCTUnwrap(body["points"] as? [[String: Any]])
                XCTAssertEqual(points.count, 33)
                bodyNose[input] = points.first?["x"] as? Double
            }
        }

        // CSV: the columns of `mien video --csv --blendshapes --body` after input and media.
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try XCTUnwrap(lines.first)
        for column in VideoCSV.meshColumns + VideoCSV.bodyColumns {
            XCTAssertTrue(header.contains(column), "no \(column) column")
        }
        func value(_ row: [String], _ column: String) -> String { header.firstIndex(of: column).map { row[$0] } ?? "" }
        let rows = lines.dropFirst().filter { $0.count == header.count }
        XCTAssertEqual(rows.count, lines.count - 1, "every row has the header's width")
        let personRows = rows.filter { $0[0] == person.path }, closeupRows = rows.filter { $0[0] == closeup.path }
        XCTAssertFalse(personRows.isEmpty)
        XCTAssertFalse(closeupRows.isEmpty)
        for row in rows {
            let shapes = MeshBlendshapes.names.compactMap { Double(value(row, "bs_" + $0)) }
            XCTAssertEqual(shapes.count, MeshBlendshapes.names.count, "every blendshape column filled for \(row[0])")
            XCTAssertTrue(shapes.allSatisfy { (0...1).contains($0) }, "blendshapes in 0…1: \(shapes)")
            XCTAssertGreaterThan(shapes.max() ?? 0, 0.05, "a face moves something")
            XCTAssertEqual(value(row, "mesh_frame"), "0")
            XCTAssertNotNil(Double(value(row, "gaze_yaw")), "gaze measured on \(row[0])")
        }
        // The astronaut's body: the nose as in the JSONL, the shoulders visible and below the face box.
        let astronaut = try XCTUnwrap(personRows.first)
        XCTAssertEqual(value(astronaut, "body_frame"), "0")
        let noseX = try XCTUnwrap(Double(value(astronaut, "body_nose_x")))
        XCTAssertEqual(noseX, try XCTUnwrap(bodyNose[person.path]), accuracy: 0.051)
        let faceY = try XCTUnwrap(Double(value(astronaut, "face_y"))), faceH = try XCTUnwrap(Double(value(astronaut, "face_h")))
        for side in ["left", "right"] {
            XCTAssertGreaterThan(try XCTUnwrap(Double(value(astronaut, "body_\(side)_shoulder_v"))), 0.5)
            XCTAssertGreaterThan(try XCTUnwrap(Double(value(astronaut, "body_\(side)_shoulder_y"))), faceY + faceH,
                                 "the \(side) shoulder is below the face")
        }
        XCTAssertNotNil(Double(value(astronaut, "body_shoulder_height")))
    }

    /// A video in a batch run: body and mesh on every Kth analysed frame, values carried between, under the header
    /// `mien video --csv` writes with the same options.
    func testVideoBodyEveryKInABatchRunHasTheColumnsOfMienVideo() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let runFile = root.appendingPathComponent("run.sqlite"), csv = root.appendingPathComponent("out.csv")
        let video = BatchSupport.sampleVideo.path
        let run = try TestSupport.run(["batch", video, "--out", runFile.path, "--jobs", "2", "--quiet", "--measures-only",
                                       "--every", "4", "--body-every", "3", "--blendshapes-every", "3"],
                                      home: root, timeout: 300)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--csv", csv.path], home: root).status, 0)
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try XCTUnwrap(lines.first)

        let videoCSV = root.appendingPathComponent("video.csv")
        let single = try TestSupport.run(["video", video, "--quiet", "--measures-only", "--end", "1", "--body",
                                          "--blendshapes", "--csv", videoCSV.path], home: root, timeout: 300)
        XCTAssertEqual(single.status, 0, single.output)
        let videoHeader = try XCTUnwrap(try String(contentsOf: videoCSV, encoding: .utf8).split(separator: "\n").first)
        XCTAssertEqual(header.dropFirst(2).joined(separator: ","), String(videoHeader),
                       "batch export = input, media, then the columns of mien video --csv --body --blendshapes")

        let column = { (name: String) in try XCTUnwrap(header.firstIndex(of: name), name) }
        let frameAt = try column("frame"), bodyAt = try column("body_frame"), meshAt = try column("mesh_frame")
        let noseAt = try column("body_nose_x"), jawAt = try column("bs_jawOpen")
        let rows = lines.dropFirst()
        XCTAssertGreaterThan(rows.count, 100, "every 4th of 472 frames")
        var bodyFrames = Set<Int>()
        for row in rows {
            let frame = try XCTUnwrap(Int(row[frameAt])), body = try XCTUnwrap(Int(row[bodyAt]), "frame \(frame)")
            // analysed frames are 0, 4, 8, …; the body runs on every 3rd of them: 0, 12, 24, …
            XCTAssertEqual(body % 12, 0, "frame \(frame): body from \(body)")
            XCTAssertTrue((frame - 8...frame).contains(body), "frame \(frame): body from \(body)")
            XCTAssertLessThanOrEqual(try XCTUnwrap(Int(row[meshAt])), frame)
            XCTAssertNotNil(Double(row[noseAt]), "frame \(frame) has the nose")
            XCTAssertTrue((0...1).contains(try XCTUnwrap(Double(row[jawAt]))))
            bodyFrames.insert(body)
        }
        XCTAssertGreaterThanOrEqual(bodyFrames.count, rows.count / 3 - 2)
        XCTAssertLessThanOrEqual(bodyFrames.count, rows.count / 3 + 2)
    }

    func testARunWithoutThemHasEmptyMovementColumnsAndNoMovementModels() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let runFile = root.appendingPathComponent("run.sqlite"), csv = root.appendingPathComponent("out.csv")
        let run = try TestSupport.run(["batch", TestSupport.sample("nasa_astronaut_eileen_collins.png").path,
                                       "--out", runFile.path, "--jobs", "1", "--quiet"], home: root)
        XCTAssertEqual(run.status, 0, run.output)
        let models = try XCTUnwrap(try SQLiteJobStore(url: runFile, exclusive: false).manifest()).models
        XCTAssertFalse(models.contains("mesh=") || models.contains("body="), models)
        XCTAssertEqual(try TestSupport.run(["batch", "export", runFile.path, "--csv", csv.path], home: root).status, 0)
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try XCTUnwrap(lines.first), row = try XCTUnwrap(lines.dropFirst().first)
        XCTAssertEqual(row.count, header.count)
        for column in ["mesh_frame", "bs_jawOpen", "body_frame", "body_nose_x"] {
            let index = try XCTUnwrap(header.firstIndex(of: column), column)
            XCTAssertEqual(row[index], "", "\(column) is empty without the option")
        }
    }
}
