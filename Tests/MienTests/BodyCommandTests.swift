import Foundation
import MienTesting
import XCTest

/// `mien analyze --body` and `mien video --body` end to end with the real binary and models: the JSON body slot,
/// the table line, the video's body values measured every k-th frame and carried between, hand-to-face events
/// where the sample video shows a hand over the face (6–9 s), and the CSV columns — beside body_motion.
final class BodyCommandTests: XCTestCase {
    func testAnalyzeBodyJSONAndTable() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let sample = TestSupport.sample("nasa_astronaut_eileen_collins.png").path
        let run = try TestSupport.run(["analyze", "--json", "--measures-only", "--no-blendshapes", "--body", sample],
                                      home: dir)
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["schema"] as? String, "mien/1")
        let image = try XCTUnwrap((doc["images"] as? [[String: Any]])?.first)
        let face = try XCTUnwrap((image["faces"] as? [[String: Any]])?.first)
        let body = try XCTUnwrap(face["body"] as? [String: Any])
        XCTAssertEqual(body["layout"] as? String, "mediapipe-pose-33")
        let points = try XCTUnwrap(body["points"] as? [[String: Any]])
        XCTAssertEqual(points.count, 33)
        XCTAssertEqual(points.first?["name"] as? String, "nose")
        let movement = try XCTUnwrap(body["movement"] as? [String: Any])
        XCTAssertNotNil(movement["shoulder_height"])
        XCTAssertNotNil(movement["shoulder_tilt_degrees"])

        let table = try TestSupport.run(["analyze", "--measures-only", "--no-blendshapes", "--body", sample], home: dir)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("body          "), table.stdout)
        XCTAssertTrue(table.stdout.contains("shoulder height"), table.stdout)
        // without --body there is no body slot and no body model is loaded
        let off = try TestSupport.run(["analyze", "--json", "--measures-only", "--no-blendshapes", sample], home: dir)
        XCTAssertFalse(off.stdout.contains("\"body\""))
    }

    func testVideoBodyEveryThirdFrameWithHandToFaceEvents() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let jsonl = dir.appendingPathComponent("b.jsonl"), csv = dir.appendingPathComponent("b.csv")
        let run = try TestSupport.run(["video", VideoSupport.sample.path, "--quiet", "--measures-only",
                                       "--body-every", "3", "--start", "4", "--end", "11", "--jsonl", jsonl.path,
                                       "--csv", csv.path], home: dir, timeout: 600)
        XCTAssertEqual(run.status, 0, run.stderr)
        let frames = VideoSupport.jsonLines(jsonl).filter { $0["kind"] as? String == "video-frame" }
        XCTAssertGreaterThan(frames.count, 150)
        var faces = 0, measured = 0, withMotion = 0
        var contacts: [[String: Any]] = []
        for frame in frames {
            let index = try XCTUnwrap(frame["frame"] as? Int)
            for face in frame["faces"] as? [[String: Any]] ?? [] {
                faces += 1
                let bodyFrame = try XCTUnwrap(face["body_frame"] as? Int, "frame \(index) has body values")
                XCTAssertTrue((index - 2...index).contains(bodyFrame), "frame \(index): values from \(bodyFrame)")
                XCTAssertEqual(bodyFrame % 3, 0)
                if bodyFrame == index { measured += 1 }
                XCTAssertNotNil(face["body"])
                if face["body_motion"] != nil { withMotion += 1 }
            }
            contacts += (frame["events"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "hand-to-face" }
        }
        XCTAssertGreaterThan(faces, 150)
        XCTAssertEqual(Double(measured) / Double(faces), 1.0 / 3, accuracy: 0.02)
        // optical-flow body motion stays beside the keypoints (it is absent where the region below the face leaves
        // the frame: 50 of 168 faces in this stretch of the close-up, with or without --body)
        XCTAssertGreaterThan(withMotion, faces / 2, "optical-flow body motion stays beside the keypoints")
        // The hand goes over her face between 6 and 9 s; no contact is reported outside that stretch (±0.5 s).
        print("hand-to-face events: \(contacts.map { "\($0["start"]!)–\($0["end"]!) \($0["hand"]!)" })")
        XCTAssertFalse(contacts.isEmpty)
        for c in contacts {
            let start = try XCTUnwrap(c["start"] as? Double), end = try XCTUnwrap(c["end"] as? Double)
            XCTAssertGreaterThanOrEqual(start, 5.5)
            XCTAssertLessThanOrEqual(end, 9.5)
        }
        let rows = VideoSupport.csvRows(csv)
        let header = try XCTUnwrap(rows.first)
        for column in ["body_frame", "body_shoulder_raise", "body_lean", "body_hand_to_face_left",
                       "body_gesture_energy_right", "body_right_foot_index_v", "body_motion"] {
            XCTAssertTrue(header.contains(column), column)
        }
        XCTAssertEqual(rows.count - 1, faces)
    }
}
