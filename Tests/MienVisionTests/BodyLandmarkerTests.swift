import Foundation
import Mien
import MienCore
import MienTesting
import MienVision
import XCTest

/// The body stage on the sample photos: parity with the reference pipeline (training/pose/pose.py, whose agreement
/// with MediaPipe's own Pose is in training/pose/mediapipe_compare.json), anatomy a reader can check by eye, the
/// mirror image, bad input and altered models.
final class BodyLandmarkerTests: XCTestCase {
    nonisolated(unsafe) static var shared: BodyLandmarker?

    func stage() throws -> BodyLandmarker {
        if let s = Self.shared { return s }
        let s = try BodyLandmarker(modelsDirectory: TestSupport.models)
        Self.shared = s
        return s
    }

    struct Reference: Decodable {
        struct Person: Decodable {
            struct Roi: Decodable { var cx, cy, side, rotation: Double }
            var score: Double
            var roi: Roi
            var pose_flag: Double
            /// x, y, visibility, presence
            var points: [[Double]]
        }
        var names: [String]
        var images: [String: [Person]]
    }

    func people(_ name: String) throws -> [BodyPose] {
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample(name))
        guard case .people(let people) = try stage().people(in: image) else { return [] }
        return people
    }

    func testParityWithTheReferencePipelineOnEverySample() throws {
        let url = TestSupport.repository.appendingPathComponent("Tests/Fixtures/pose/reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(reference.names, BodyLayout.mediapipe33Names)
        XCTAssertEqual(reference.images.count, 4)
        var worstPoint = 0.0, worstVisibility = 0.0
        for (name, expected) in reference.images.sorted(by: { $0.key < $1.key }) {
            let got = try people(name)
            XCTAssertEqual(got.count, expected.filter { $0.pose_flag >= BodyLandmarker.minimumPoseFlag }.count, name)
            for (g, e) in zip(got, expected) {
                XCTAssertEqual(g.score, e.score, accuracy: 1e-3, name)
                XCTAssertEqual(g.crop.centre.x, e.roi.cx, accuracy: 0.05, name)
                XCTAssertEqual(g.crop.centre.y, e.roi.cy, accuracy: 0.05, name)
                XCTAssertEqual(g.crop.side, e.roi.side, accuracy: 0.05, name)
                XCTAssertEqual(g.crop.rotation, e.roi.rotation, accuracy: 1e-4, name)
                for (p, q) in zip(g.keypoints, e.points) {
                    worstPoint = max(worstPoint, p.point.distance(to: Point2(q[0], q[1])))
                    worstVisibility = max(worstVisibility, abs(p.visibility - q[2]))
                }
            }
        }
        print(String(format: "body keypoints vs reference: worst point %.3f px, worst visibility %.4f", worstPoint,
                     worstVisibility))
        // the crop's bilinear samples can differ by one grey level where OpenCV inverts the matrix itself
        XCTAssertLessThan(worstPoint, 1.0)
        XCTAssertLessThan(worstVisibility, 0.01)
    }

    /// The astronaut portrait: one person; the shoulders below the face, the person's left shoulder on the image's
    /// right (she faces the camera), the wrists below the shoulders.
    func testPortraitAnatomy() throws {
        let person = try XCTUnwrap(try people("nasa_astronaut_eileen_collins.png").first)
        func p(_ n: String) throws -> BodyKeypoints.Keypoint {
            try XCTUnwrap(person.keypoints.first { $0.name == n }, n)
        }
        let nose = try p("nose"), ls = try p("left_shoulder"), rs = try p("right_shoulder")
        let width = ls.point.distance(to: rs.point)
        XCTAssertGreaterThan(width, 100, "shoulders 100+ px apart in a 500-px-wide portrait")
        XCTAssertGreaterThan(ls.y, nose.y + 0.3 * width)
        XCTAssertGreaterThan(rs.y, nose.y + 0.3 * width)
        XCTAssertGreaterThan(ls.x, nose.x)
        XCTAssertLessThan(rs.x, nose.x)
        XCTAssertGreaterThan(try p("left_eye").x, try p("right_eye").x)
        XCTAssertGreaterThan(ls.visibility, 0.9)
        XCTAssertGreaterThan(rs.visibility, 0.9)
    }

    /// A mirror image turns the person's left into the image's left: the point named left_shoulder in the mirror
    /// sits where right_shoulder was, mirrored, and the shoulder tilt changes sign.
    func testMirrorImageSwapsSides() throws {
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let bgr = try image.bgrPixels()
        var flipped = [UInt8](repeating: 0, count: bgr.count)
        let w = image.width
        for y in 0..<image.height {
            for x in 0..<w {
                for c in 0..<3 { flipped[(y * w + (w - 1 - x)) * 3 + c] = bgr[(y * w + x) * 3 + c] }
            }
        }
        let mirror = try Image(pixels: flipped, width: w, height: image.height, channels: 3)
        guard case .people(let a) = try stage().people(in: image), case .people(let b) = try stage().people(in: mirror),
              let original = a.first, let mirrored = b.first else { return XCTFail("no person") }
        func at(_ person: BodyPose, _ n: String) -> Point2 { person.keypoints.first { $0.name == n }!.point }
        let width = at(original, "left_shoulder").distance(to: at(original, "right_shoulder"))
        for (side, other) in [("left", "right"), ("right", "left")] {
            for part in ["shoulder", "elbow", "eye", "hip"] {
                let m = at(mirrored, "\(side)_\(part)"), o = at(original, "\(other)_\(part)")
                XCTAssertLessThan(Point2(Double(w - 1) - m.x, m.y).distance(to: o), 0.1 * width, "\(side)_\(part)")
            }
        }
        let face = Rect(x: 150, y: 50, width: 150, height: 150)
        let tiltA = try XCTUnwrap(BodyMovement(points: original.keypoints, face: face).shoulderTiltDegrees)
        let tiltB = try XCTUnwrap(BodyMovement(points: mirrored.keypoints, face: face).shoulderTiltDegrees)
        // The model is not exactly mirror-symmetric: on this portrait each shoulder's height moves by up to ~12 px
        // (0.06 shoulder widths) between the two views, which is ±3.5° of tilt on a 5° tilt.
        XCTAssertEqual(tiltA, -tiltB, accuracy: 8.0)
    }

    func testTinyImageAbstainsWithAReason() throws {
        let tiny = try Image(pixels: [UInt8](repeating: 128, count: 20 * 20 * 3), width: 20, height: 20, channels: 3)
        guard case .abstained(let reason) = try stage().people(in: tiny) else { return XCTFail("a body in 20 px") }
        XCTAssertTrue(reason.contains("too small"), reason)
        // a plain grey image is big enough but holds nobody
        let grey = try Image(pixels: [UInt8](repeating: 128, count: 300 * 300 * 3), width: 300, height: 300,
                             channels: 3)
        guard case .abstained(let none) = try stage().people(in: grey) else { return XCTFail("a body in grey") }
        XCTAssertFalse(none.isEmpty)
    }

    func testMissingOrAlteredModelIsATypedErrorNamingTheFile() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        // each file is checked as it loads, so with the detector good the landmark file is the one named
        for file in [BodyLandmarker.detectorFileName, BodyLandmarker.landmarkFileName] {
            try ModelFileChecks.assertTypedErrors(file: file, directory: dir) {
                try BodyLandmarker(modelsDirectory: dir)
            }
        }
        XCTAssertNoThrow(try BodyLandmarker(modelsDirectory: dir))
    }

    /// Through the front door: every face of the group photo gets a body slot, the body goes to the face that holds
    /// its nose, and the others say why they have none.
    func testAnalyzerAttachesBodiesToFaces() throws {
        var options = AnalysisOptions()
        options.measuresOnly = true
        options.blendshapes = false
        options.body = true
        let home = try TestSupport.temporaryDirectory(self)
        let a = try Analyzer(options: options, governance: Governance(purpose: .personalUse, actor: "tests", home: home))
        let portrait = try a.analyze(imageAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let face = try XCTUnwrap(portrait.faces.first)
        let body = try XCTUnwrap(face.body)
        XCTAssertNil(body.abstained)
        XCTAssertEqual(body.points.count, 33)
        XCTAssertTrue(face.box.contains(try XCTUnwrap(body["nose"]).point))
        let m = try XCTUnwrap(body.movement)
        XCTAssertGreaterThan(try XCTUnwrap(m.shoulderHeight), 0.3)
        // her hands are outside the portrait: not visible, so neither at the face nor called away from it
        XCTAssertNotEqual(m.handToFaceLeft, true)
        XCTAssertNotEqual(m.handToFaceRight, true)
        XCTAssertNotNil(portrait.timings["body"])

        let group = try a.analyze(imageAt: TestSupport.sample("pexels_1080865_group_meeting.jpg"))
        XCTAssertGreaterThan(group.faces.count, 1)
        let withBody = group.faces.filter { $0.body?.abstained == nil }
        // the whole-image pass finds one person; the second look below each remaining face finds another
        XCTAssertGreaterThanOrEqual(withBody.count, 2)
        for f in withBody { XCTAssertTrue(f.box.contains(f.body!["nose"]!.point)) }
        for f in group.faces where f.body?.abstained != nil {
            XCTAssertEqual(f.body?.abstained, "no body found for this face")
        }
        let json = String(decoding: try JSONEncoder().encode(portrait), as: UTF8.self)
        XCTAssertTrue(json.contains("\"left_shoulder\""))
        XCTAssertTrue(json.contains("\"shoulder_height\""))
    }
}
