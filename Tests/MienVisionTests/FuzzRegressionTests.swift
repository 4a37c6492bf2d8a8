import Foundation
import Mien
import MienVision
import MienTesting
import XCTest

/// Inputs the landmark_model fuzzer found (fuzz/regressions/landmark_model_*), loaded through the real model reader.
final class FuzzRegressionTests: XCTestCase {
    /// landmark_model_huge_leaf_values.dat: a 68-point model whose values are finite but of the order of 1e28; fitting
    /// it made dlib convert a pixel position beyond the range of `long` (undefined behaviour, reported by UBSan). Such a
    /// model is now refused when it is read, as an invalid model.
    func testAModelWithImplausiblyLargeValuesIsRefused() throws {
        let input = TestSupport.repository.appendingPathComponent("fuzz/regressions/landmark_model_huge_leaf_values.dat")
        XCTAssertThrowsError(try DlibLandmarker(path: input.path)) { error in
            guard case AnalysisError.modelInvalid = error else { return XCTFail("expected modelInvalid, got \(error)") }
            XCTAssertTrue("\(error)".contains("plausible size"), "\(error)")
        }
    }
}
