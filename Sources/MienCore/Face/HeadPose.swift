#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Head orientation in degrees, relative to facing the camera.
///
/// yaw > 0: the head turns toward the image's right (the subject's left); pitch > 0: chin up; roll > 0: the head
/// tilts clockwise in the image. Estimated by solvePnP of six landmarks against `GenericFace3D`, so it is
/// approximate (±5–10° is typical for such a generic model).
public struct HeadPose: Sendable, Codable, Hashable {
    public var yaw: Double
    public var pitch: Double
    public var roll: Double

    public init(yaw: Double, pitch: Double, roll: Double) {
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
    }

    /// From the rotation (row-major 3×3) that takes `GenericFace3D` into camera coordinates (x right, y down,
    /// z forward). The model already uses camera axes, so a frontal face gives the identity.
    public init(rotation r: [Double]) {
        let deg = 180.0 / Double.pi
        // R = Rz(roll) · Ry(yaw) · Rx(pitch)
        let pitchRad = atan2(r[7], r[8])
        let yawRad = atan2(-r[6], (r[7] * r[7] + r[8] * r[8]).squareRoot())
        let rollRad = atan2(r[3], r[0])
        // Signs chosen so the documented directions hold with image y pointing down.
        yaw = -yawRad * deg
        pitch = -pitchRad * deg
        roll = rollRad * deg
    }

    public var magnitude: Double { max(abs(yaw), abs(pitch), abs(roll)) }

    private enum CodingKeys: String, CodingKey { case yaw, pitch, roll }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode((yaw * 10).rounded() / 10, forKey: .yaw)
        try c.encode((pitch * 10).rounded() / 10, forKey: .pitch)
        try c.encode((roll * 10).rounded() / 10, forKey: .roll)
    }
}

/// A generic adult face in millimetres, camera axes (x to the image right, y down, z away from the camera), nose
/// tip at the origin. Six points in common use for landmark PnP (after the model popularised by S. Mallick's
/// "Head pose estimation using OpenCV and dlib", 2016, converted to camera axes and millimetres).
public enum GenericFace3D {
    /// iBUG-300W indices of the points below.
    public static let landmarkIndices = [30, 8, 36, 45, 48, 54]
    public static let points: [(Double, Double, Double)] = [
        (0, 0, 0),            // nose tip
        (0, 63.6, 12.5),      // chin
        (-43.3, -32.7, 26.0), // right eye outer corner (image left)
        (43.3, -32.7, 26.0),  // left eye outer corner (image right)
        (-28.9, 28.9, 24.1),  // right mouth corner
        (28.9, 28.9, 24.1),   // left mouth corner
    ]
}
