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
}
