import Foundation
import Mien
import MienCore
import MienTesting
import MienVision
import XCTest

/// Video frames are held to the pixel limit stills are held to (`AnalysisOptions.maxPixels`, 50 MP by default):
/// a video whose container declares larger frames is refused with `AnalysisError.tooManyPixels` before a frame is
/// decoded; a source that declares nothing (an MJPEG stream) at its first frame; a later frame over the limit ends the
/// stream. The limit is set low here so that small real files (made with ffmpeg) cross it.
final class VideoPixelLimitTests: XCTestCase {
    private func clip(_ root: URL, size: String = "320x240") throws -> URL {
        let url = root.appendingPathComponent("clip-\(size).mp4")
        let made = try TestSupport.shell("ffmpeg -v error -y -f lavfi -i testsrc=size=\(size):rate=10:duration=0.5 "
                                         + "-c:v libx264 -pix_fmt yuv420p '\(url.path)'", home: root)
        XCTAssertEqual(made.status, 0, made.output)
        return url
    }

    func testAVideoDeclaringFramesOverTheLimitIsRefusedWithATypedError() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let url = try clip(root)
        var options = VideoSource.Options()
        options.maxPixels = 320 * 240 - 1
        XCTAssertThrowsError(try VideoSource(.file(url), options: options)) { error in
            XCTAssertEqual(error as? AnalysisError,
                           .tooManyPixels(source: url.path, width: 320, height: 240, limit: 320 * 240 - 1))
            XCTAssertTrue("\(error)".contains("320×240 is 0.1 MP, over the 0.1 MP limit; refused before decoding"),
                          "\(error)")
        }
        // At the limit it opens and decodes.
        options.maxPixels = 320 * 240
        let source = try VideoSource(.file(url), options: options)
        defer { source.close() }
        XCTAssertEqual(source.width, 320)
        XCTAssertNotNil(try source.next())
        // The default is the stills' default.
        XCTAssertEqual(VideoSource.Options().maxPixels, AnalysisOptions().maxPixels)
    }

    /// Through `VideoAnalyzer`: the limit is `options.analysis.maxPixels`, the same knob as for stills.
    func testTheAnalyzerAppliesTheStillsPixelLimitToVideo() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let url = try clip(root)
        var options = VideoOptions()
        options.deliverFrames = false
        options.analysis.maxPixels = 10_000
        let analyzer = try VideoAnalyzer(options: options,
                                         governance: Governance(purpose: .researchWithConsent, actor: "test", home: root))
        var frames = 0
        XCTAssertThrowsError(try analyzer.analyze(.file(url)) { _, _ in frames += 1 }) { error in
            guard case .tooManyPixels(_, 320, 240, 10_000)? = error as? AnalysisError else {
                return XCTFail("\(error)")
            }
        }
        XCTAssertEqual(frames, 0)
    }

    /// An MJPEG stream declares no size: its first picture is checked once decoded; a later, larger one ends it.
    func testAnMJPEGStreamIsHeldToTheLimitAtItsFirstAndLaterPictures() throws {
        let small = try Data(contentsOf: TestSupport.fixture("video_frame_0s5_sad.jpg"))
        let large = try Data(contentsOf: TestSupport.fixture("bench_640x480.jpg"))
        let root = try TestSupport.temporaryDirectory(self)
        var descriptors: [Int32] = []
        defer { descriptors.forEach { Foundation.close($0) } }
        // The concatenated pictures in a file (a pipe's buffer would not hold them before the reader starts).
        func stream(_ pictures: [Data], maxPixels: Int) throws -> VideoSource {
            let url = root.appendingPathComponent("stream-\(descriptors.count).mjpeg")
            try pictures.reduce(Data(), +).write(to: url)
            let fd = open(url.path, O_RDONLY)
            XCTAssertGreaterThanOrEqual(fd, 0)
            descriptors.append(fd)
            var options = VideoSource.Options()
            options.maxPixels = maxPixels
            return try VideoSource(.mjpeg(fd: fd), options: options)
        }
        XCTAssertThrowsError(try stream([large], maxPixels: 640 * 480 - 1)) { error in
            guard case .tooManyPixels(_, 640, 480, 307_199)? = error as? AnalysisError else {
                return XCTFail("\(error)")
            }
        }
        let first = try stream([small, large], maxPixels: 640 * 480 - 1)
        defer { first.close() }
        XCTAssertLessThan(first.width * first.height, 640 * 480)
        XCTAssertNotNil(try first.next())
        XCTAssertNil(try first.next(), "the larger picture ends the stream")
        XCTAssertTrue(first.stopReason?.contains("640x480 pixels, over the pixel limit of 307199") == true,
                      first.stopReason ?? "no reason")
    }
}
