import Foundation
import Mien
import MienCore
import MienTesting
import XCTest

/// The default pipeline on the bundled photos, against boxes checked by eye on the annotated images.
final class SampleFaceTests: XCTestCase {
    static let home = FileManager.default.temporaryDirectory.appendingPathComponent("mien-sample-tests")
    nonisolated(unsafe) static var shared: Analyzer?

    /// One analyser for the class: loading dlib's landmark model takes ~1 s.
    func analyzer() throws -> Analyzer {
        if let a = Self.shared { return a }
        var options = AnalysisOptions()
        options.measuresOnly = true
        let governance = Governance(purpose: .personalUse, actor: "tests", home: Self.home)
        let a = try Analyzer(options: options, governance: governance)
        Self.shared = a
        return a
    }

    /// Hand-checked face boxes (x, y, width, height) in image pixels.
    static let expected: [String: [Rect]] = [
        "nasa_astronaut_eileen_collins.png": [Rect(x: 175, y: 70, width: 100, height: 105)],
        "pexels_1080865_group_meeting.jpg": [
            Rect(x: 320, y: 40, width: 121, height: 119), Rect(x: 189, y: 280, width: 143, height: 143),
            Rect(x: 929, y: 324, width: 136, height: 136), Rect(x: 969, y: 0, width: 88, height: 74),
            Rect(x: 619, y: 50, width: 135, height: 163),
        ],
        "pexels_18175_angry_closeup.jpg": [Rect(x: 150, y: 560, width: 950, height: 1040)],
        "pexels_716658_surprised_santa.jpg": [Rect(x: 686, y: 346, width: 298, height: 298)],
    ]

    func testEverySampleFaceIsFoundWithLandmarksInsideItsBox() throws {
        let a = try analyzer()
        for (name, boxes) in Self.expected {
            let result = try a.analyze(imageAt: TestSupport.sample(name))
            XCTAssertEqual(result.faces.count, boxes.count, "\(name): faces found")
            for truth in boxes {
                let best = result.faces.max { $0.box.iou(truth) < $1.box.iou(truth) }
                let iou = best?.box.iou(truth) ?? 0
                XCTAssertGreaterThanOrEqual(iou, 0.5, "\(name): face at \(truth) best IoU \(iou)")
                guard let face = best, let landmarks = face.landmarks else {
                    XCTFail("\(name): no landmarks")
                    continue
                }
                XCTAssertEqual(landmarks.points.count, 68)
                // All 68 points inside the detected box grown by 40%: dlib's box runs brow to lip, so on turned
                // faces the jaw line and brows reach past its edge.
                let grown = face.box.scaled(by: 1.4)
                let picture = Rect(x: 0, y: 0, width: Double(result.width), height: Double(result.height))
                // A face cut by the picture's edge has landmarks extrapolated beyond it; those are not checked.
                let outside = landmarks.points.filter { picture.contains($0) && !grown.contains($0) }.count
                // On the man turned ~48° (group photo, right) the far jaw line (points 14–16) lies just beyond the
                // box; every other face has all points inside.
                XCTAssertLessThanOrEqual(outside, 3, "\(name): \(outside) landmarks outside the box")
                XCTAssertNotNil(face.measures)
                XCTAssertNotNil(face.pose)
            }
        }
    }

    func testFrontalFaceHasNearZeroHeadPose() throws {
        let face = try XCTUnwrap(try analyzer().analyze(imageAt: TestSupport.sample("pexels_18175_angry_closeup.jpg")).faces.first)
        let pose = try XCTUnwrap(face.pose)
        XCTAssertLessThan(pose.magnitude, 15, "frontal face pose \(pose)")
    }

    func testTurnedFaceHasLargeYaw() throws {
        // The woman on the left of the group photo is turned well to the side (checked by eye: about 45°).
        let result = try analyzer().analyze(imageAt: TestSupport.sample("pexels_1080865_group_meeting.jpg"))
        let face = try XCTUnwrap(result.faces.first { $0.box.iou(Rect(x: 189, y: 280, width: 143, height: 143)) > 0.5 })
        XCTAssertGreaterThan(abs(face.pose?.yaw ?? 0), 25)
    }

    func testSmileHasLargerLipCornerPullThanTheSamePersonCrying() throws {
        let a = try analyzer()
        let crying = try XCTUnwrap(a.analyze(imageAt: TestSupport.fixture("video_frame_0s5_sad.jpg")).faces.first?.measures)
        let smiling = try XCTUnwrap(a.analyze(imageAt: TestSupport.fixture("video_frame_13s5_smile.jpg")).faces.first?.measures)
        XCTAssertGreaterThan(smiling.lipCornerPull, crying.lipCornerPull + 0.02)
        XCTAssertGreaterThan(smiling.lipsParted, crying.lipsParted + 0.1, "the laugh shows teeth")
    }

    func testEveryInputFormatDecodesToTheSameFace() throws {
        let a = try analyzer()
        for name in ["astronaut.bmp", "astronaut.tiff", "astronaut.webp", "astronaut_16bit.png", "astronaut_alpha.png",
                     "astronaut_gray.png"] {
            let result = try a.analyze(imageAt: TestSupport.fixture(name))
            XCTAssertEqual(result.width, 256, name)
            XCTAssertEqual(result.faces.count, 1, "\(name): one face")
        }
    }

    func testExifOrientationIsApplied() throws {
        // Stored 200×256 on its side with EXIF orientation 6: shown upright as 256×200, and only then is the face
        // findable by an upright-face detector.
        let result = try analyzer().analyze(imageAt: TestSupport.fixture("astronaut_exif_rotated.jpg"))
        XCTAssertEqual(result.width, 256)
        XCTAssertEqual(result.height, 200)
        XCTAssertEqual(result.faces.count, 1)
    }

    func testImageWithoutFaceIsNotAnError() throws {
        let result = try analyzer().analyze(imageAt: TestSupport.fixture("no_face_flag.jpg"))
        XCTAssertEqual(result.faces.count, 0)
    }

    func testAnalysisIsAudited() throws {
        let home = try TestSupport.temporaryDirectory(self)
        var options = AnalysisOptions()
        options.measuresOnly = true
        let governance = Governance(purpose: .researchWithConsent, actor: "audit-test", home: home)
        let a = try Analyzer(options: options, governance: governance)
        _ = try a.analyze(imageAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let verification = try governance.verifyAuditLog()
        XCTAssertTrue(verification.isValid, "\(verification)")
        XCTAssertEqual(verification.recordCount, 1)
        // Nothing but the audit log and its seal: no image, no result (retention is off).
        let files = try FileManager.default.contentsOfDirectory(atPath: home.path).filter { !$0.hasPrefix("audit") }
        XCTAssertEqual(files.filter { !$0.hasPrefix("seal") }, [], "unexpected files: \(files)")
    }
}
