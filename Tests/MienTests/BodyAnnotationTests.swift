import Foundation
import Mien
import MienTesting
import XCTest
@testable import MienVision

/// `--annotate` with `--body` draws the skeleton: on the astronaut sample the annotated picture differs from the
/// one without `--body` along the visible bones, and nowhere away from them; the video annotator draws the same
/// bones in the track's colour.
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
            for x in 0..<a.width where segments.allSatisfy({ Self.distance(Double(x), Double(y), to: $0) > 24 }) {
                far += 1
                if difference(x, y) > 3 { farChanged += 1 }
            }
        }
        XCTAssertGreaterThan(far, a.width * a.height / 2)
        XCTAssertEqual(farChanged, 0, "pixels changed away from the skeleton")
    }

    /// `VideoAnnotator` (annotated video) on the astronaut's real keypoints: the visible bones in the track's colour,
    /// everything further than the line's width from them as without a body. (The sample video is a close-up whose
    /// shoulders are below the frame, so a still drawn as a video frame is the check.)
    func testVideoAnnotatorDrawsTheBonesInTheTracksColour() throws {
        let home = try TestSupport.temporaryDirectory(self)
        var options = AnalysisOptions()
        options.measuresOnly = true
        options.blendshapes = false
        options.body = true
        let analyzer = try Analyzer(options: options,
                                    governance: Governance(purpose: .personalUse, actor: "test", home: home))
        let url = TestSupport.sample("nasa_astronaut_eileen_collins.png")
        let face = try XCTUnwrap(try analyzer.analyze(imageAt: url).faces.first)
        let body = try XCTUnwrap(face.body)
        let segments = BodySkeleton.bones.compactMap { bone -> ((Double, Double), (Double, Double))? in
            guard let a = body[bone.0], let b = body[bone.1], a.visibility >= 0.5, b.visibility >= 0.5 else { return nil }
            return ((a.x, a.y), (b.x, b.y))
        }
        XCTAssertGreaterThanOrEqual(segments.count, 2)
        var bare = face
        bare.body = nil
        let image = try ImageDecoder().decode(fileAt: url)
        let drawn = try XCTUnwrap(image.copy()), plain = try XCTUnwrap(image.copy())
        let track = 2
        VideoAnnotator().draw(VideoFrameResult(frame: 0, time: 0, faces: [TrackedFace(track: track, detected: true, face: face)]),
                              on: drawn)
        VideoAnnotator().draw(VideoFrameResult(frame: 0, time: 0, faces: [TrackedFace(track: track, detected: true, face: bare)]),
                              on: plain)
        let pa = try drawn.bgrPixels(), pb = try plain.bgrPixels()
        let (cb, cg, cr) = VideoAnnotator.colour(track)
        func pixel(_ p: [UInt8], _ x: Int, _ y: Int) -> [Int] {
            let i = 3 * (y * image.width + x)
            return [Int(p[i]), Int(p[i + 1]), Int(p[i + 2])]
        }
        for (p, q) in segments {
            var coloured = 0, count = 0
            for t in stride(from: 0.2, through: 0.8, by: 0.05) {
                let x = Int((p.0 + t * (q.0 - p.0)).rounded()), y = Int((p.1 + t * (q.1 - p.1)).rounded())
                guard (1..<image.width - 1).contains(x), (1..<image.height - 1).contains(y) else { continue }
                count += 1
                // A line one pixel wide (this picture's scale) passes within a pixel of the rounded point.
                let near = (-1...1).flatMap { dy in (-1...1).map { dx in pixel(pa, x + dx, y + dy) } }
                if near.contains(where: { abs($0[0] - Int(cb)) <= 40 && abs($0[1] - Int(cg)) <= 40 && abs($0[2] - Int(cr)) <= 40 }) {
                    coloured += 1
                }
            }
            XCTAssertGreaterThan(count, 5)
            XCTAssertGreaterThanOrEqual(coloured, count * 3 / 4, "bone \(p)→\(q) in the track's colour")
        }
        var changedFar = 0
        for y in 0..<image.height {
            for x in 0..<image.width where pixel(pa, x, y) != pixel(pb, x, y) {
                if segments.allSatisfy({ Self.distance(Double(x), Double(y), to: $0) > 8 }) { changedFar += 1 }
            }
        }
        XCTAssertEqual(changedFar, 0, "pixels changed away from the bones")
    }

    static func distance(_ x: Double, _ y: Double, to s: ((Double, Double), (Double, Double))) -> Double {
        let (p, q) = s
        let dx = q.0 - p.0, dy = q.1 - p.1, length2 = max(dx * dx + dy * dy, 1e-9)
        let t = max(0, min(1, ((x - p.0) * dx + (y - p.1) * dy) / length2))
        return hypot(x - (p.0 + t * dx), y - (p.1 + t * dy))
    }
}
