import Foundation
import MienTesting
import XCTest
@testable import MienVision

/// `--annotate` with `--body` draws the skeleton: on the astronaut sample the annotated picture differs from the
/// one without `--body` along the visible bones, and nowhere away from them.
final class BodyAnnotationTests: XCTestCase {
    func testAnnotatedStillShowsTheSkeletonAndNothingElseChanges() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let sample = TestSupport.sample("nasa_astronaut_eileen_collins.png")
        let with = root.appendingPathComponent("with"), without = root.appendingPathComponent("without")
        let common = ["analyze", "--json", "--measures-only", "--no-blendshapes", sample.path]
        let drawn = try TestSupport.run(common + ["--body", "--annotate", with.path], home: root)
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        let plain = try TestSupport.run(common + ["--annotate", without.path], home: root)
        XCTAssertEqual(plain.status, 0, plain.stderr)

        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(drawn.stdout.utf8)) as? [String: Any])
        let face = try XCTUnwrap(((doc["images"] as? [[String: Any]])?.first?["faces"] as? [[String: Any]])?.first)
        let points = try XCTUnwrap((face["body"] as? [String: Any])?["points"] as? [[String: Any]])
        var visible: [String: (Double, Double)] = [:]
        for p in points {
            guard let name = p["name"] as? String, let v = p["visibility"] as? Double, v >= 0.5,
                  let x = p["x"] as? Double, let y = p["y"] as? Double else { continue }
            visible[name] = (x, y)
        }
        let segments = BodySkeleton.bones.compactMap { bone -> ((Double, Double), (Double, Double))? in
            guard let a = visible[bone.0], let b = visible[bone.1] else { return nil }
            return (a, b)
        }
        // A portrait: the shoulders and her right upper arm are visible; hips and the rest are not drawn.
        XCTAssertGreaterThanOrEqual(segments.count, 2, "shoulder line and an upper arm: \(visible.keys.sorted())")

        let name = "nasa_astronaut_eileen_collins.annotated.jpg"
        let a = try ImageDecoder().decode(fileAt: with.appendingPathComponent(name))
        let b = try ImageDecoder().decode(fileAt: without.appendingPathComponent(name))
        XCTAssertEqual(a.width, b.width)
        XCTAssertEqual(a.height, b.height)
        let pa = try a.bgrPixels(), pb = try b.bgrPixels()
        func difference(_ x: Int, _ y: Int) -> Int {
            let i = 3 * (y * a.width + x)
            return (0..<3).map { abs(Int(pa[i + $0]) - Int(pb[i + $0])) }.max() ?? 0
        }
        func distance(_ x: Double, _ y: Double, to s: ((Double, Double), (Double, Double))) -> Double {
            let (p, q) = s
            let dx = q.0 - p.0, dy = q.1 - p.1, length2 = max(dx * dx + dy * dy, 1e-9)
            let t = max(0, min(1, ((x - p.0) * dx + (y - p.1) * dy) / length2))
            return hypot(x - (p.0 + t * dx), y - (p.1 + t * dy))
        }

        // Along each bone (its middle 60 %, away from joints where the face's own drawing may sit): changed pixels.
        for (p, q) in segments {
            let samples = (4...16).map { Double($0) / 20 }.map { t in
                difference(Int((p.0 + t * (q.0 - p.0)).rounded()), Int((p.1 + t * (q.1 - p.1)).rounded()))
            }
            let changed = samples.filter { $0 > 40 }.count
            XCTAssertGreaterThanOrEqual(changed, samples.count * 3 / 4, "bone \(p)→\(q): differences \(samples)")
        }
        // Away from every bone and joint (beyond a JPEG block and the line's width): the pictures are the same.
        var far = 0, farChanged = 0
        for y in 0..<a.height {
            for x in 0..<a.width where segments.allSatisfy({ distance(Double(x), Double(y), to: $0) > 24 }) {
                far += 1
                if difference(x, y) > 3 { farChanged += 1 }
            }
        }
        XCTAssertGreaterThan(far, a.width * a.height / 2)
        XCTAssertEqual(farChanged, 0, "pixels changed away from the skeleton")
    }
}
