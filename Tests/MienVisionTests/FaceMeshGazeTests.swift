import Foundation
import Mien
import MienCore
import MienTesting
import MienVision
import XCTest

/// Iris gaze (`Gaze(mesh:pose:)`) on the sample photos: mirrored images give mirrored gaze, the astronaut (looking
/// into the camera) gets a camera gaze near zero, closed eyes abstain with the reason.
final class FaceMeshGazeTests: XCTestCase {
    nonisolated(unsafe) static var shared: Analyzer?

    func analyzer() throws -> Analyzer {
        if let a = Self.shared { return a }
        var options = AnalysisOptions()
        options.measuresOnly = true
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mien-facemesh-gaze-tests")
        let a = try Analyzer(options: options, governance: Governance(purpose: .personalUse, actor: "tests", home: home))
        Self.shared = a
        return a
    }

    /// The sample, and the same pixels mirrored left-right, written as PNG.
    func mirrored(_ name: String) throws -> URL {
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample(name))
        let w = image.width, h = image.height
        let bgr = try image.bgrPixels()
        var flipped = [UInt8](repeating: 0, count: bgr.count)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 { flipped[(y * w + x) * 3 + c] = bgr[(y * w + (w - 1 - x)) * 3 + c] }
            }
        }
        let url = try TestSupport.temporaryDirectory(self).appendingPathComponent("mirrored-\(name).png")
        try Image(pixels: flipped, width: w, height: h, channels: 3).write(to: url)
        return url
    }

    /// Mirroring flips yaw and keeps pitch. Measured: astronaut yaw −0.9° → +2.5° mirrored (1.6° off); Santa
    /// +7.4° → +1.1° (8.5° off): the mesh model itself places the Santa's irises differently in the mirrored
    /// image even from the exactly mirrored crop (training/facemesh/mirror_gaze.py), so the tolerance is the
    /// method's stated ±10°, with the astronaut held to 3°.
    func testMirroredImagesGiveMirroredGaze() throws {
        let a = try analyzer()
        for (name, tolerance) in [("nasa_astronaut_eileen_collins.png", 3.0), ("pexels_716658_surprised_santa.jpg", 10.0)] {
            let original = try XCTUnwrap(try a.analyze(imageAt: TestSupport.sample(name)).faces.first?.gaze?.combined)
            let flipped = try XCTUnwrap(try a.analyze(imageAt: try mirrored(name)).faces.first?.gaze?.combined)
            print(String(format: "%@ gaze yaw %+.1f pitch %+.1f; mirrored yaw %+.1f pitch %+.1f", name,
                         original.yaw, original.pitch, flipped.yaw, flipped.pitch))
            XCTAssertEqual(flipped.yaw, -original.yaw, accuracy: tolerance, name)
            XCTAssertEqual(flipped.pitch, original.pitch, accuracy: tolerance, name)
        }
    }

    /// `--annotate` draws the camera gaze as arrows from the eyes: the pixels the arrows change lie on the side of
    /// the eyes the gaze points to (Santa: up and to the image's left, as he looks in the photo).
    func testAnnotatedGazeArrowsPointWhereTheGazeDoes() throws {
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample("pexels_716658_surprised_santa.jpg"))
        let face = try XCTUnwrap(try analyzer().analyze(imageAt: TestSupport.sample("pexels_716658_surprised_santa.jpg"))
            .faces.first)
        let camera = try XCTUnwrap(face.gaze?.camera)
        var plain = face
        plain.gaze = nil
        let with = try XCTUnwrap(Annotator().annotate(image, faces: [face])).bgrPixels()
        let without = try XCTUnwrap(Annotator().annotate(image, faces: [plain])).bgrPixels()
        let eyes = try XCTUnwrap(face.landmarks).points(in: .rightEye) + (face.landmarks?.points(in: .leftEye) ?? [])
        let ex = eyes.map(\.x).reduce(0, +) / Double(eyes.count), ey = eyes.map(\.y).reduce(0, +) / Double(eyes.count)
        var n = 0.0, sx = 0.0, sy = 0.0
        for i in stride(from: 0, to: with.count, by: 3) where with[i] != without[i] || with[i + 2] != without[i + 2] {
            let x = Double((i / 3) % image.width), y = Double((i / 3) / image.width)
            n += 1; sx += x - ex; sy += y - ey
        }
        XCTAssertGreaterThan(n, 50, "arrows drawn")
        print(String(format: "Santa camera gaze yaw %+.1f pitch %+.1f; arrow pixels %.0f, mean offset from the eyes (%+.1f, %+.1f) px",
                     camera.yaw, camera.pitch, n, sx / n, sy / n))
        if abs(camera.yaw) > 5 { XCTAssertEqual((sx / n).sign, camera.yaw.sign, "arrows point along the yaw") }
        if abs(camera.pitch) > 5 { XCTAssertEqual((sy / n).sign, (-camera.pitch).sign, "arrows point along the pitch") }
        XCTAssertTrue(abs(camera.yaw) > 5 || abs(camera.pitch) > 5, "the Santa looks away from the camera")
    }

    /// The Santa looks to the image's right with his head turned to its left: the eye-in-head yaw must say so.
    func testEyeInHeadDirectionFollowsTheIrises() throws {
        let santa = try XCTUnwrap(try analyzer().analyze(imageAt: TestSupport.sample("pexels_716658_surprised_santa.jpg"))
            .faces.first)
        let eyes = try XCTUnwrap(santa.gaze?.combined)
        let head = try XCTUnwrap(santa.pose)
        XCTAssertLessThan(head.yaw, -5)
        XCTAssertGreaterThan(eyes.yaw, 3)
    }

    /// Eileen Collins looks into the camera: camera-relative gaze within 12° (the method's stated accuracy, with no
    /// per-person calibration, is ±5–10°; measured: yaw +2.3°, pitch −8.8°).
    func testCameraFacingFaceLooksAtTheCamera() throws {
        let face = try XCTUnwrap(try analyzer().analyze(imageAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
            .faces.first)
        let camera = try XCTUnwrap(face.gaze?.camera)
        XCTAssertLessThan(abs(camera.yaw), 12)
        XCTAssertLessThan(abs(camera.pitch), 12)
        XCTAssertNil(face.gaze?.abstained)
    }

    /// Lids moved together on a real mesh: both eyes read as closed, and gaze abstains saying so.
    func testClosedEyesAbstainWithTheReason() throws {
        let mesh = try FaceMeshLandmarker(modelsDirectory: TestSupport.models)
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let box = try XCTUnwrap(try BlazeFaceDetector(modelsDirectory: TestSupport.models).detect(in: image).first)
        guard case .mesh(let m) = try mesh.locate(in: image, crop: try XCTUnwrap(MeshCrop(box: box, landmarks: nil)))
        else { return XCTFail("no mesh") }
        XCTAssertNotNil(Gaze(mesh: m.landmarks, pose: nil)?.combined)
        var points = m.landmarks.points
        for (upper, lower) in [(159, 145), (386, 374)] {
            let mid = Point2.mean([points[upper], points[lower]])
            points[upper] = mid
            points[lower] = mid
        }
        let closed = try XCTUnwrap(Gaze(mesh: try XCTUnwrap(FaceLandmarks(layout: .mesh478, points: points)), pose: nil))
        XCTAssertNil(closed.combined)
        XCTAssertTrue(closed.abstained?.contains("closed") ?? false, "\(String(describing: closed.abstained))")
        XCTAssertNil(Gaze(mesh: try XCTUnwrap(FaceLandmarks(layout: .ibug68, points: Array(points.prefix(68)))),
                          pose: nil), "gaze needs the iris points")
    }
}
