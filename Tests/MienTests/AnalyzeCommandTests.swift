import Foundation
import MienTesting
import XCTest

/// `mien analyze` as a user runs it: the table, the JSON document, annotated images, a folder argument.
final class AnalyzeCommandTests: XCTestCase {
    func testJSONDocumentOnTheSamplesFolder() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let out = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["analyze", "--measures-only", "--json", "--annotate", out.path,
                                       TestSupport.samples.path], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["schema"] as? String, "mien/1")
        XCTAssertEqual(doc["purpose"] as? String, "personal-use")
        let images = try XCTUnwrap(doc["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, 4)
        let faces = images.flatMap { ($0["faces"] as? [[String: Any]]) ?? [] }
        XCTAssertEqual(faces.count, 8)
        for face in faces {
            XCTAssertEqual((face["landmarks"] as? [[Double]])?.count, 68)
            let pose = try XCTUnwrap(face["pose"] as? [String: Double])
            XCTAssertNotNil(pose["yaw"])
            let measures = try XCTUnwrap(face["movement_measures"] as? [String: Double])
            XCTAssertEqual(measures.count, 10)
            XCTAssertNil(face["expression"], "measures-only has no expression")
        }
        let drawn = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".annotated.jpg") }
        XCTAssertEqual(drawn.count, 4)
    }

    func testTableNamesPurposeAndUnits() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["analyze", "--measures-only",
                                       TestSupport.sample("nasa_astronaut_eileen_collins.png").path], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("purpose: personal-use"), run.stdout)
        XCTAssertTrue(run.stdout.contains("head pose"))
        XCTAssertTrue(run.stdout.contains("inter-ocular distance"))
    }

    /// `--prior` chooses the class prior; every estimate says which; an unknown one is a usage error with the list.
    func testPriorOptionReachesEveryEstimate() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let face = TestSupport.sample("nasa_astronaut_eileen_collins.png").path
        for prior in ["natural", "balanced"] {
            let run = try TestSupport.run(["analyze", "--json", "--prior", prior, face], home: home)
            XCTAssertEqual(run.status, 0, run.stderr)
            let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let faces = ((doc["images"] as? [[String: Any]])?.first?["faces"] as? [[String: Any]]) ?? []
            XCTAssertEqual(faces.count, 1)
            let expression = try XCTUnwrap(faces.first?["expression"] as? [String: Any])
            XCTAssertEqual(expression["prior"] as? String, prior)
            XCTAssertEqual(expression["label"] as? String, "happiness", "a broad smile is happiness under either prior")
        }
        let bad = try TestSupport.run(["analyze", "--prior", "uniform", face], home: home)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("choose one of: natural, balanced"), bad.stderr)
    }

    /// `--label-set intended` answers from the model's other head, in FER2013's 7 classes (what the photo was meant to
    /// show); every estimate says its label set; the perceived default keeps FER+'s 8; an unknown set is a usage error.
    func testLabelsOptionSwitchesTheHeadAndItsClasses() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let face = TestSupport.sample("nasa_astronaut_eileen_collins.png").path
        func expression(_ args: [String]) throws -> [String: Any] {
            let run = try TestSupport.run(["analyze", "--json"] + args + [face], home: home)
            XCTAssertEqual(run.status, 0, run.stderr)
            let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let faces = ((doc["images"] as? [[String: Any]])?.first?["faces"] as? [[String: Any]]) ?? []
            XCTAssertEqual(faces.count, 1)
            return try XCTUnwrap(faces.first?["expression"] as? [String: Any])
        }
        let perceived = try expression([])
        XCTAssertEqual(perceived["label_set"] as? String, "perceived")
        XCTAssertEqual(Set((perceived["probabilities"] as? [String: Double])?.keys ?? [:].keys),
                       ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"])
        for prior in ["natural", "balanced"] {
            let intended = try expression(["--label-set", "intended", "--prior", prior])
            XCTAssertEqual(intended["label_set"] as? String, "intended")
            XCTAssertEqual(intended["prior"] as? String, prior)
            let p = try XCTUnwrap(intended["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(p.keys), ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
            XCTAssertEqual(p.values.reduce(0, +), 1, accuracy: 1e-3)
            XCTAssertEqual(intended["label"] as? String, "happy", "the broad smile, in FER2013's words")
            XCTAssertGreaterThan(intended["valence"] as? Double ?? 0, 0.5, "the circumplex knows FER2013's names")
        }
        let bad = try TestSupport.run(["analyze", "--label-set", "posed", face], home: home)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("choose one of: perceived, intended"), bad.stderr)
    }
}
