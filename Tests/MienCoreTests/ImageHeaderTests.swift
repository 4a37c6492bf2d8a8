import MienCore
import XCTest

final class ImageHeaderTests: XCTestCase {
    func testPNGHeader() {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52]
        png += [0, 0, 0x02, 0x80, 0, 0, 0x01, 0xE0]
        XCTAssertEqual(ImageHeader.parse(png), ImageHeader(format: .png, width: 640, height: 480))
    }

    func testJPEGSkipsSegmentsToTheFrameHeader() {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00]
        XCTAssertEqual(ImageHeader.parse(jpeg), ImageHeader(format: .jpeg, width: 512, height: 256))
    }

    func testTruncatedAndHostileHeadersGiveNilNotACrash() {
        XCTAssertNil(ImageHeader.parse([]))
        XCTAssertNil(ImageHeader.parse([0xFF, 0xD8]))
        XCTAssertNil(ImageHeader.parse([0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]))
        XCTAssertNil(ImageHeader.parse([0x49, 0x49, 0x2A, 0x00, 0xFF, 0xFF, 0xFF, 0x7F]))
        XCTAssertNil(ImageHeader.parse(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8X".utf8)))
        // Random bytes after each signature never trap.
        var generator = SystemRandomNumberGenerator()
        let signatures: [[UInt8]] = [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8], Array("BM".utf8),
                                     [0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A], Array("RIFF0000WEBP".utf8),
                                     Array("GIF8".utf8)]
        for _ in 0..<5000 {
            let sig = signatures.randomElement(using: &generator)!
            let tail = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = ImageHeader.parse(sig + tail)
        }
    }

    func testPixelCountDoesNotOverflow() {
        XCTAssertEqual(ImageHeader(format: .png, width: Int.max, height: 3).pixelCount, Int.max)
    }
}
