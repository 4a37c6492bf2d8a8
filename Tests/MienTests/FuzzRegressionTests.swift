import Foundation
import Mien
import MienTesting
import XCTest

/// Inputs the fuzzers found (fuzz/regressions/), replayed through the real decoding path on every CI run.
final class FuzzRegressionTests: XCTestCase {
    /// image_header: PNG and BMP headers that declare a width of 0 parse (the header reader reports what the file
    /// says), and the decoder refuses them as corrupt before OpenCV sees them.
    func testZeroWidthHeadersAreRefusedAsCorrupt() throws {
        let home = try TestSupport.temporaryDirectory(self)
        var options = AnalysisOptions()
        options.measuresOnly = true
        let analyzer = try Analyzer(options: options, governance: Governance(purpose: .personalUse, actor: "fuzz",
                                                                              home: home))
        let folder = TestSupport.repository.appendingPathComponent("fuzz/regressions")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("image_header") }
        XCTAssertGreaterThanOrEqual(inputs.count, 2)
        for name in inputs {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            let header = try XCTUnwrap(ImageHeader.parse([UInt8](bytes)), name)
            XCTAssertEqual(header.width, 0, name)
            XCTAssertThrowsError(try analyzer.analyze(imageData: bytes, source: name)) { error in
                guard case AnalysisError.corruptImage = error else { return XCTFail("\(name): \(error)") }
            }
        }
    }

    /// media_png_sides_overflow_int.png (fuzz/media_mutation.sh, a PNG chunk rewritten with a valid CRC): an IHDR of
    /// 3 238 002 953 × 4 093 689 344 pixels. The header check refused it, but the refusal's message multiplied the
    /// sides in Int, which overflowed: `mien analyze` (and `mien serve`, which words the same error) stopped with a
    /// trap. The message is now computed in Double; the binary answers with the typed error.
    func testAHeaderWhoseSidesOverflowIntIsRefusedWithAMessage() throws {
        let input = TestSupport.repository.appendingPathComponent("fuzz/regressions/media_png_sides_overflow_int.png")
        let header = try XCTUnwrap(ImageHeader.parse([UInt8](try Data(contentsOf: input))))
        XCTAssertEqual([header.width, header.height], [3_238_002_953, 4_093_689_344])
        XCTAssertTrue(header.width.multipliedReportingOverflow(by: header.height).overflow)
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.run(["analyze", "--measures-only", input.path], home: home)
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.stderr.contains("3238002953×4093689344 is 13255378184"), run.stderr)
        XCTAssertTrue(run.stderr.contains("MP, over the 50 MP limit; refused before decoding"), run.stderr)
    }

    /// mjpeg_split (found while factoring the splitter out of video.cpp for its harness): a picture the decoder
    /// refused made the reader wait for more bytes even when the next pictures were already buffered, so at the end
    /// of a stream they were lost — here, both frames after a damaged one, and `mien live` failed with "ended before
    /// its first picture".
    func testMJPEGPicturesAfterADamagedOneAreStillAnalysed() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let input = TestSupport.repository.appendingPathComponent("fuzz/regressions/mjpeg_split_damaged_then_good.mjpeg")
        let run = try TestSupport.shell("\"$MIEN\" live - --measures-only < '\(input.path)'", home: home, timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let frames = run.stdout.split(separator: "\n").filter { $0.contains("\"video-frame\"") }
        XCTAssertEqual(frames.count, 2, run.output)
    }

    /// mjpeg_split: a live client can send one endless picture (a start marker, then no end marker). The splitter
    /// searched the whole buffer again after every 64 KB read, quadratic in the picture's size; it now resumes where
    /// it stopped, so the 64 MB limit is reached after one pass.
    func testMJPEGStreamWithoutAnEndMarkerIsRefusedAfterOnePass() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let run = try TestSupport.shell("""
            s=$(date +%s%N); { printf '\\377\\330'; head -c 70000000 /dev/zero; } | "$MIEN" live - --measures-only \
              >/dev/null; echo "rc=$? ms=$(( ($(date +%s%N) - s) / 1000000 ))" >&2
            """, home: home, timeout: 120)
        XCTAssertTrue(run.stderr.contains("no complete JPEG in 64 MB"), run.stderr)
        XCTAssertTrue(run.stderr.contains("rc=1 "), run.stderr)
        let ms = Int(run.stderr.components(separatedBy: "ms=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99_999
        XCTAssertLessThan(ms, 15_000, "one pass over 64 MB, not one per read")
    }
}
