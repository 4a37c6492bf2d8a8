import Foundation
import Mien
import MienTesting
import XCTest

/// The engine over caller-supplied stages: the per-face pipeline runs around fixtures, with no model file.
final class FakeStageTests: XCTestCase {
    func testPipelineRunsAroundFixtureStages() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let detector = FixedFaceDetector(boxes: [FaceBox(rect: Rect(x: 100, y: 80, width: 200, height: 200), score: 0.9)])
        let engine = Engine(detector: detector, landmarker: BoxLandmarker(), classifier: FixedClassifier())
        let session = try Session(governance: Governance(purpose: .personalUse, actor: "me", home: home))
        let analysis = try Analyzer(engine: engine, session: session)
            .analyze(imageAt: TestSupport.fixture("bench_640x480.jpg"))
        XCTAssertEqual(detector.calls, 1)
        let face = try XCTUnwrap(analysis.faces.first)
        XCTAssertEqual(face.landmarks?.layout, .ibug68)
        XCTAssertNotNil(face.measures)
        XCTAssertEqual(face.expression?.label, "happiness")
        XCTAssertEqual(face.alignment, "landmarks")
        XCTAssertEqual(try session.governance.auditLog().records().last?.modelVersion, "fixed@1")
    }

    func testEveryLayoutNamesEveryPoint() {
        for layout in LandmarkLayout.allCases {
            for point in FacePoint.allCases {
                XCTAssertNotNil(layout.index(of: point), "\(layout.rawValue) has no \(point.rawValue)")
            }
            for region in [FaceRegion.rightEye, .leftEye, .brows] {
                XCTAssertFalse(layout.indices(of: region).isEmpty, "\(layout.rawValue) has no \(region)")
            }
        }
    }
}
