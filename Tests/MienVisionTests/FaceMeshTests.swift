import Foundation
import Mien
import MienCore
import MienTesting
import MienVision
import XCTest

/// The face mesh and blendshapes stages on the sample photos: parity with TFLite (the fixture written by
/// training/facemesh/convert.py), what the coefficients say about faces whose movement is plain to see, and bad input.
final class FaceMeshTests: XCTestCase {
    nonisolated(unsafe) static var sharedMesh: FaceMeshLandmarker?
    nonisolated(unsafe) static var sharedBlend: BlendshapeEstimator?
    nonisolated(unsafe) static var sharedAnalyzer: Analyzer?

    func stages() throws -> (FaceMeshLandmarker, BlendshapeEstimator) {
        if let m = Self.sharedMesh, let b = Self.sharedBlend { return (m, b) }
        let m = try FaceMeshLandmarker(modelsDirectory: TestSupport.models)
        let b = try BlendshapeEstimator(modelsDirectory: TestSupport.models)
        Self.sharedMesh = m
        Self.sharedBlend = b
        return (m, b)
    }

    /// Measures only: blendshapes are movement, so they must come without the expression model.
    func analyzer() throws -> Analyzer {
        if let a = Self.sharedAnalyzer { return a }
        var options = AnalysisOptions()
        options.measuresOnly = true
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mien-facemesh-tests")
        let a = try Analyzer(options: options, governance: Governance(purpose: .personalUse, actor: "tests", home: home))
        Self.sharedAnalyzer = a
        return a
    }

    struct Reference: Decodable {
        struct Face: Decodable {
            var image: String
            var index: Int
            var keypoints: [[Double]]
            /// BlazeFace's own box, x0, y0, x1, y1.
            var box: [Double]
            var presence: Double
            var landmarks: [[Double]]
            var blendshapes: [Double]
        }
        var faces: [Face]
    }

    /// The same crops (from the same BlazeFace boxes and keypoints) through Swift + OpenCV DNN and through TFLite.
    func testParityWithTFLiteOnEverySampleFace() throws {
        let (mesh, blend) = try stages()
        let url = TestSupport.repository.appendingPathComponent("Tests/Fixtures/facemesh/reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(reference.faces.count, 8)
        let decoder = ImageDecoder()
        var worstMean = 0.0, worstPoint = 0.0, worstBlend = 0.0, worstBlendOnReferenceMesh = 0.0
        for face in reference.faces {
            let image = try decoder.decode(fileAt: TestSupport.sample(face.image))
            let detector = Rect(x: face.box[0], y: face.box[1], width: face.box[2] - face.box[0],
                                 height: face.box[3] - face.box[1])
            let box = FaceBox(rect: detector, score: 1, keypoints: face.keypoints.map { Point2($0[0], $0[1]) },
                              detectorRect: detector)
            let crop = try XCTUnwrap(MeshCrop(box: box, landmarks: nil))
            guard case .mesh(let m) = try mesh.locate(in: image, crop: crop) else {
                return XCTFail("\(face.image)#\(face.index): no mesh")
            }
            XCTAssertEqual(m.presence, face.presence, accuracy: 1e-3)
            // Swift gives pixel indices, the reference continuous coordinates (MediaPipe's x × width)
            let d = zip(m.landmarks.points, face.landmarks).map { p, r in
                ((p.x + 0.5 - r[0]) * (p.x + 0.5 - r[0]) + (p.y + 0.5 - r[1]) * (p.y + 0.5 - r[1])).squareRoot()
            }
            let mean = d.reduce(0, +) / Double(d.count)
            worstMean = max(worstMean, mean)
            worstPoint = max(worstPoint, d.max() ?? 0)
            let b = try blend.estimate(m.landmarks)
            let onReference = try blend.estimate(try XCTUnwrap(FaceLandmarks(
                layout: .mesh478, points: face.landmarks.map { Point2($0[0], $0[1]) })))
            for (i, name) in MeshBlendshapes.names.enumerated() {
                worstBlend = max(worstBlend, abs((b[name] ?? -1) - face.blendshapes[i]))
                worstBlendOnReferenceMesh = max(worstBlendOnReferenceMesh,
                                                abs((onReference[name] ?? -1) - face.blendshapes[i]))
            }
        }
        print(String(format: "face mesh parity vs TFLite over %d faces: worst per-face mean %.4f px, worst point "
                     + "%.4f px; blendshapes max |diff| %.5f (on Swift's mesh), %.6f (on TFLite's mesh)",
                     reference.faces.count, worstMean, worstPoint, worstBlend, worstBlendOnReferenceMesh))
        XCTAssertLessThan(worstMean, 0.05)
        XCTAssertLessThan(worstPoint, 0.5)
        XCTAssertLessThan(worstBlend, 0.005)
        XCTAssertLessThan(worstBlendOnReferenceMesh, 1e-4)
    }

    func testSamplesGiveFiftyTwoCoefficientsInTheUnitInterval() throws {
        let a = try analyzer()
        var faces = 0
        for name in ["nasa_astronaut_eileen_collins.png", "pexels_1080865_group_meeting.jpg",
                     "pexels_18175_angry_closeup.jpg", "pexels_716658_surprised_santa.jpg"] {
            for face in try a.analyze(imageAt: TestSupport.sample(name)).faces {
                let b = try XCTUnwrap(face.blendshapes, "\(name): no blendshapes")
                XCTAssertNil(b.abstained, "\(name): \(b.abstained ?? "")")
                XCTAssertEqual(Set(b.coefficients.keys), Set(MeshBlendshapes.names))
                XCTAssertEqual(b.coefficients.count, 52)
                for (k, v) in b.coefficients { XCTAssertTrue((0...1).contains(v), "\(name) \(k) = \(v)") }
                XCTAssertNotNil(face.measures, "the 68-point measures stay")
                XCTAssertEqual(face.landmarks?.layout, .ibug68, "the 68 points stay the face's landmarks")
                faces += 1
            }
        }
        XCTAssertEqual(faces, 8)
    }

    /// The smiling astronaut smiles; the surprised Santa raises his brows and drops his jaw more than the people
    /// in the meeting (who are talking and looking at laptops, not posing).
    func testCoefficientsFollowVisibleMovement() throws {
        let a = try analyzer()
        func shapes(_ name: String) throws -> [Blendshapes] {
            try a.analyze(imageAt: TestSupport.sample(name)).faces.compactMap(\.blendshapes)
        }
        let astronaut = try XCTUnwrap(try shapes("nasa_astronaut_eileen_collins.png").first)
        let santa = try XCTUnwrap(try shapes("pexels_716658_surprised_santa.jpg").first)
        let group = try shapes("pexels_1080865_group_meeting.jpg")
        XCTAssertEqual(group.count, 5)
        func groupMean(_ k: String) -> Double { group.map { $0[k] ?? 0 }.reduce(0, +) / Double(group.count) }
        print(String(format: "astronaut smile L/R %.2f/%.2f; santa jawOpen %.2f browInnerUp %.2f; group mean "
                     + "jawOpen %.2f browInnerUp %.2f smile %.2f", astronaut["mouthSmileLeft"] ?? -1,
                     astronaut["mouthSmileRight"] ?? -1, santa["jawOpen"] ?? -1, santa["browInnerUp"] ?? -1,
                     groupMean("jawOpen"), groupMean("browInnerUp"), groupMean("mouthSmileLeft")))
        XCTAssertGreaterThan(astronaut["mouthSmileLeft"] ?? 0, 0.6)
        XCTAssertGreaterThan(astronaut["mouthSmileRight"] ?? 0, 0.6)
        XCTAssertGreaterThan(astronaut["mouthSmileLeft"] ?? 0, groupMean("mouthSmileLeft") + 0.3)
        XCTAssertGreaterThan(santa["browInnerUp"] ?? 0, groupMean("browInnerUp") + 0.2)
        XCTAssertGreaterThan(santa["jawOpen"] ?? 0, groupMean("jawOpen"))
        XCTAssertLessThan(santa["mouthSmileLeft"] ?? 1, 0.3)
    }

    /// A face far too small for the mesh keeps its 68-point measures and says why it has no blendshapes.
    func testTooSmallFaceSaysSoAndKeepsItsMeasures() throws {
        let (mesh, _) = try stages()
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let small = MeshCrop(centre: Point2(220, 130), side: 30, angle: 0)
        guard case .abstained(let reason) = try mesh.locate(in: image, crop: small) else {
            return XCTFail("a 30-pixel crop was meshed")
        }
        XCTAssertTrue(reason.contains("too small"), reason)

        // End to end: the astronaut's face cut out and shrunk to 32 × 32, analysed as a pre-cropped face.
        let tiny = try FaceAligner(template: AlignmentTemplate(anchors: [], size: 32, channels: 3))
            .align(image, box: Rect(x: 173, y: 76, width: 101, height: 101))
        let dir = try TestSupport.temporaryDirectory(self)
        let file = dir.appendingPathComponent("tiny.png")
        try Image(pixels: tiny.pixels, width: 32, height: 32, channels: 3).write(to: file)
        var options = AnalysisOptions()
        options.measuresOnly = true
        options.crops = true
        let a = try Analyzer(options: options, governance: Governance(purpose: .personalUse, actor: "tests", home: dir))
        let face = try XCTUnwrap(try a.analyze(imageAt: file).faces.first)
        XCTAssertNotNil(face.measures)
        let b = try XCTUnwrap(face.blendshapes)
        XCTAssertTrue(b.coefficients.isEmpty)
        XCTAssertTrue(b.abstained?.contains("too small") ?? false, "\(String(describing: b.abstained))")
    }

    func testMissingOrAlteredModelIsATypedErrorNamingTheFile() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        for (file, make) in [(FaceMeshLandmarker.fileName, { try FaceMeshLandmarker(modelsDirectory: dir) as Any }),
                             (BlendshapeEstimator.fileName, { try BlendshapeEstimator(modelsDirectory: dir) as Any })] {
            try ModelFileChecks.assertTypedErrors(file: file, directory: dir, make: make)
        }
    }

    func testMeshLayoutNamesMatchTheDlibFitOnASample() throws {
        // The named points of the mesh layout sit where dlib puts the same names (within 8% of the inter-ocular
        // distance), so consumers that ask for a point by name get the same place from either model.
        let (mesh, _) = try stages()
        let image = try ImageDecoder().decode(fileAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        let face = try XCTUnwrap(try analyzer().analyze(imageAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
            .faces.first)
        let dlib = try XCTUnwrap(face.landmarks)
        let crop = try XCTUnwrap(MeshCrop(box: FaceBox(rect: face.box, score: 1), landmarks: dlib))
        guard case .mesh(let m) = try mesh.locate(in: image, crop: crop) else { return XCTFail("no mesh") }
        let iod = dlib.interOcularDistance
        for name in [FacePoint.rightEyeOuter, .rightEyeInner, .leftEyeInner, .leftEyeOuter, .noseTip, .mouthRight,
                     .mouthLeft, .upperLipTop, .lowerLipBottom, .chin] {
            let d = m.landmarks[name].distance(to: dlib[name])
            XCTAssertLessThan(d / iod, 0.12, "\(name.rawValue): \(d) px apart")
        }
        XCTAssertLessThan(m.landmarks.rightEyeCenter.distance(to: dlib.rightEyeCenter) / iod, 0.08)
        XCTAssertLessThan(m.landmarks.leftEyeCenter.distance(to: dlib.leftEyeCenter) / iod, 0.08)
    }
}
