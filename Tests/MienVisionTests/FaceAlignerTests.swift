import Foundation
import MienCore
import MienTesting
import MienVision
import XCTest

/// The classifier's crop of a large face: shrunk by area averaging, not by sampling a few source pixels.
final class FaceAlignerTests: XCTestCase {
    /// A 480×480 grey window of a real photo, shrunk 10× to the 48-pixel crop: each crop pixel should be the mean
    /// of its 10×10 source block. Plain bilinear sampling reads 2×2 of those 100 pixels, so skin texture, hair and
    /// camera noise fold into the crop (aliasing) — the crop then depends on where the fit happens to land.
    func testShrinkingAveragesTheSourceInsteadOfSamplingIt() throws {
        for name in ["pexels_18175_angry_closeup.jpg", "nasa_astronaut_eileen_collins.png"] {
            let photo = try ImageDecoder().decode(fileAt: TestSupport.sample(name))
            XCTAssertGreaterThanOrEqual(min(photo.width, photo.height), 480, name)
            // the window: a whole-pixel translation at scale 1 (no resampling), grey. A box of 0.8 × the side is
            // drawn at scale 1, its centre at (0.5, 0.54) of the side.
            let x0 = Double((photo.width - 480) / 2), y0 = Double((photo.height - 480) / 2)
            let window = try FaceAligner(template: AlignmentTemplate(anchors: [], size: 480, channels: 1))
                .align(photo, box: Rect(x: x0 + 240 - 192, y: y0 + 0.54 * 480 - 192, width: 384, height: 384))
            XCTAssertEqual(window.transform.scale, 1, accuracy: 1e-9)
            XCTAssertEqual(window.transform.matrix[2], -x0, accuracy: 1e-9)
            let source = try Image(pixels: window.pixels, width: 480, height: 480, channels: 1)
            let crop = try FaceAligner(template: AlignmentTemplate(anchors: [], size: 48, channels: 1)).alignWhole(source)
            XCTAssertEqual(crop.transform.scale, 0.1, accuracy: 1e-12)
            var averagingError = 0.0, samplingError = 0.0
            for cy in 0..<48 {
                for cx in 0..<48 {
                    var sum = 0.0
                    for y in (10 * cy)..<(10 * cy + 10) {
                        for x in (10 * cx)..<(10 * cx + 10) { sum += Double(window.pixels[y * 480 + x]) }
                    }
                    let mean = sum / 100
                    averagingError += abs(Double(crop.pixels[cy * 48 + cx]) - mean)
                    // what bilinear sampling alone gives: the centre 4.5 px into the block, i.e. 2×2 pixels
                    var sample = 0.0
                    for y in [10 * cy + 4, 10 * cy + 5] {
                        for x in [10 * cx + 4, 10 * cx + 5] { sample += Double(window.pixels[y * 480 + x]) / 4 }
                    }
                    samplingError += abs(sample - mean)
                }
            }
            averagingError /= 48 * 48
            samplingError /= 48 * 48
            print(String(format: "%@: crop vs 10×10 block means %.2f grey levels; 2×2 sampling would be %.2f", name,
                         averagingError, samplingError))
            XCTAssertLessThan(averagingError, 1.0, name)
            XCTAssertLessThan(averagingError, samplingError / 3, name)
        }
    }

    /// At scale 1 or more nothing is pre-filtered: a whole-pixel shift reproduces the source exactly.
    func testNoPrefilterWithoutShrinking() throws {
        let photo = try ImageDecoder().decode(fileAt: TestSupport.sample("pexels_18175_angry_closeup.jpg"))
        let gray = try photo.grayPixels()
        let crop = try FaceAligner(template: AlignmentTemplate(anchors: [], size: 64, channels: 1))
            .align(photo, box: Rect(x: 100 + 32 - 25.6, y: 120 + 0.54 * 64 - 25.6, width: 51.2, height: 51.2))
        XCTAssertEqual(crop.transform.scale, 1, accuracy: 1e-9)
        let x0 = Int(-crop.transform.matrix[2].rounded()), y0 = Int(-crop.transform.matrix[5].rounded())
        XCTAssertEqual([x0, y0], [100, 120])
        var differing = 0
        for y in 0..<64 {
            for x in 0..<64 where crop.pixels[y * 64 + x] != gray[(y + y0) * photo.width + x + x0] { differing += 1 }
        }
        XCTAssertEqual(differing, 0)
    }
}
