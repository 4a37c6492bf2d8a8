#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Head orientation in degrees, relative to facing the camera.
///
/// yaw > 0: the head turns toward the image's right (the subject's left); pitch > 0: chin up; roll > 0: the head
/// tilts clockwise in the image. Estimated by solvePnP of nine rigid landmarks against `GenericFace3D`, so it is
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
/// tip at the origin, built from *rigid* points only: eye corners, nose and the upper jaw line. Mouth corners and
/// chin are left out on purpose: a smile lifts the corners and an open mouth drops the chin, which a PnP fit
/// would misread as pitch (measured: a smiling frontal face read −34° pitch with mouth points, −4° without).
/// Frontal (x, y): mean dlib landmarks on FER2013 faces (`mien calibrate-template`) scaled to a 63 mm
/// inter-ocular distance. Depth (z): typical adult anthropometry (Farkas 1994), rounded; approximate by nature.
public enum GenericFace3D {
    /// The named landmark points the model points below stand for, in the same order.
    public static let landmarkPoints: [FacePoint] = [.noseTip, .noseBridge, .noseBase, .rightEyeOuter, .rightEyeInner,
                                                     .leftEyeInner, .leftEyeOuter, .jawRightEar, .jawLeftEar]
    public static let points: [(Double, Double, Double)] = [
        (0, 0, 0),            // 30 nose tip (pronasale)
        (0, -36.3, 22),       // 27 nose bridge (sellion)
        (0, 12.9, 14),        // 33 nose base (subnasale)
        (-43.8, -34.4, 32),   // 36 right eye outer corner (image left)
        (-18.5, -32.8, 24),   // 39 right eye inner corner
        (18.5, -32.8, 24),    // 42 left eye inner corner
        (43.8, -34.4, 32),    // 45 left eye outer corner
        (-70.6, -32.8, 88),   // 0 jaw line at ear level, right
        (70.6, -32.8, 88),    // 16 jaw line at ear level, left
    ]
}
