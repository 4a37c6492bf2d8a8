import Foundation
import MienCore
import MienVision
import XCTest

/// Head pose on synthetic projections of the generic face, where the true angles are known.
final class PoseEstimatorTests: XCTestCase {
    /// Projects `GenericFace3D` rotated by yaw (about y), pitch (about x), roll (about z) into a 640×480 camera.
    private func landmarks(yaw: Double, pitch: Double, roll: Double) -> FaceLandmarks {
        let (y, p, r) = (yaw * .pi / 180, pitch * .pi / 180, roll * .pi / 180)
        func rot(_ v: (Double, Double, Double)) -> (Double, Double, Double) {
            // x-rotation (pitch: chin up is positive: the chin (y down) moves toward the camera … see HeadPose)
            var (x1, y1, z1) = v
            (y1, z1) = (y1 * cos(-p) - z1 * sin(-p), y1 * sin(-p) + z1 * cos(-p))
            (x1, z1) = (x1 * cos(-y) + z1 * sin(-y), -x1 * sin(-y) + z1 * cos(-y))
            (x1, y1) = (x1 * cos(r) - y1 * sin(r), x1 * sin(r) + y1 * cos(r))
            return (x1, y1, z1)
        }
        var points = [Point2](repeating: Point2(320, 240), count: 68)
        for (k, name) in GenericFace3D.landmarkPoints.enumerated() {
            let i = LandmarkLayout.ibug68.index(of: name)!
            let (x, yy, z) = rot(GenericFace3D.points[k])
            let depth = 600 + z
            points[i] = Point2(320 + 640 * x / depth, 240 + 640 * yy / depth)
        }
        return FaceLandmarks(points: points)!
    }

    func testFrontalIsZero() throws {
        let pose = try PoseEstimator().estimate(landmarks(yaw: 0, pitch: 0, roll: 0), imageWidth: 640, imageHeight: 480)
        XCTAssertEqual(pose.yaw, 0, accuracy: 1)
        XCTAssertEqual(pose.pitch, 0, accuracy: 1)
        XCTAssertEqual(pose.roll, 0, accuracy: 1)
    }

    func testRecoversEachAxis() throws {
        for (yaw, pitch, roll) in [(20.0, 0.0, 0.0), (0, 15, 0), (0, 0, 10), (-25, -10, 5)] {
            let pose = try PoseEstimator().estimate(landmarks(yaw: yaw, pitch: pitch, roll: roll), imageWidth: 640,
                                                    imageHeight: 480)
            print("truth", yaw, pitch, roll, "estimate", pose)
            XCTAssertEqual(pose.yaw, yaw, accuracy: 2)
            XCTAssertEqual(pose.pitch, pitch, accuracy: 2)
            XCTAssertEqual(pose.roll, roll, accuracy: 2)
        }
    }
}
