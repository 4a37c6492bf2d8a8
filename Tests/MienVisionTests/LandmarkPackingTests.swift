import Foundation
import Mien
import MienCore
import MienVision
import MienTesting
import XCTest

/// The packed landmark predictor (all leaves in one array, landmarks.cpp) against dlib's own `shape_predictor`
/// on the same boxes: it must give exactly the same points (same features, same additions in the same order).
final class LandmarkPackingTests: XCTestCase {
    func testPackedPredictorMatchesDlibOnEverySampleFace() throws {
        let packed = try DlibLandmarker()
        let reference = try DlibLandmarker(implementation: .dlibReference)
        let detector = try DetectorFactory.make(.blaze, modelsDirectory: TestSupport.repository.appendingPathComponent("Models"))
        let decoder = ImageDecoder()
        var faces = 0, points = 0, exact = 0
        var worst = 0.0
        for name in ["nasa_astronaut_eileen_collins.png", "pexels_1080865_group_meeting.jpg",
                     "pexels_18175_angry_closeup.jpg", "pexels_716658_surprised_santa.jpg"] {
            let image = try decoder.decode(fileAt: TestSupport.sample(name))
            for box in try detector.detect(in: image) {
                // The detector's box and a shifted one: the second starts the cascade off-centre, as following does.
                for b in [box.rect, Rect(x: box.rect.x + 0.07 * box.rect.width, y: box.rect.y - 0.05 * box.rect.height,
                                         width: box.rect.width * 1.1, height: box.rect.height * 1.1)] {
                    let p = try packed.locate(in: image, box: FaceBox(rect: b, score: 1)).points
                    let r = try reference.locate(in: image, box: FaceBox(rect: b, score: 1)).points
                    faces += 1
                    for (a, c) in zip(p, r) {
                        let d = max(abs(a.x - c.x), abs(a.y - c.y))
                        worst = max(worst, d)
                        points += 1
                        if d == 0 { exact += 1 }
                    }
                }
            }
        }
        print("packed vs dlib: \(faces) fits, \(exact)/\(points) points identical, largest difference \(worst) px")
        XCTAssertEqual(faces, 16, "8 sample faces, two boxes each")
        XCTAssertEqual(worst, 0, "bit-identical to dlib")
        XCTAssertEqual(exact, points)
    }

    /// Mien's decoder of dlib's file format must read exactly what dlib's deserialisers read.
    func testOwnDecoderReadsTheModelExactlyAsDlibDoes() throws {
        let start = Date()
        let fast = try DlibLandmarker()
        let fastSeconds = Date().timeIntervalSince(start)
        let viaDlib = try DlibLandmarker(implementation: .packedViaDlib)
        let dlibSeconds = Date().timeIntervalSince(start) - fastSeconds
        print(String(format: "landmark model load: own decoder %.2f s, dlib's deserialisers %.2f s", fastSeconds, dlibSeconds))
        XCTAssertNotEqual(fast.fingerprint, 0)
        XCTAssertEqual(fast.fingerprint, viaDlib.fingerprint)
    }

    /// The packed loader parses dlib's file format itself: every cut of the real file and random bytes must be
    /// refused with a typed error, never crash or allocate without bound.
    func testTruncatedOrGarbageModelFilesAreRefused() throws {
        let real = try Data(contentsOf: URL(fileURLWithPath: DlibLandmarker.debianPath))
        let dir = try TestSupport.temporaryDirectory(self)
        var rng = SystemRandomNumberGenerator()
        var cuts = [0, 1, 4, 9, 100, 1000, real.count / 3, real.count - 1]
        for _ in 0..<4 { cuts.append(Int.random(in: 1..<real.count, using: &rng)) }
        var cases: [(String, Data)] = cuts.map { ("cut at \($0)", real.prefix($0)) }
        cases.append(("random bytes", Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })))
        var flipped = real.prefix(200_000)
        for i in stride(from: 10, to: flipped.count, by: 997) { flipped[i] ^= 0xA5 }
        cases.append(("flipped bytes, cut", flipped))
        for (label, bytes) in cases {
            let url = dir.appendingPathComponent("model.dat")
            try bytes.write(to: url)
            XCTAssertThrowsError(try DlibLandmarker(path: url.path), label) { error in
                guard case AnalysisError.modelInvalid = error else {
                    return XCTFail("\(label): expected modelInvalid, got \(error)")
                }
            }
        }
    }
}
