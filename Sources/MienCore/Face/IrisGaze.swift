import Foundation

/// Eye-in-head gaze from the 478-point mesh's iris centres, with a fixed eyeball model (no per-person calibration).
///
/// Per eye: the iris centre's offset from the middle of the eye opening, along the face's horizontal (the line
/// through both outer eye corners, so head roll drops out) and across it, divided by an eyeball radius of
/// 0.45 × the eye's corner-to-corner width (adult eyes: ~24 mm across the ball, ~28 mm corner to corner), gives
/// sin(angle). Limits, stated rather than hidden: the radius is the same for everyone, the eye-opening middle is not
/// the exact centre of rotation, and looking down hides the iris under the lid (pitch reads small). Angles are
/// good to perhaps ±5–10°, not the 1–2° of a calibrated tracker.
extension Gaze {
    /// Eye radius per eye width (see above).
    public static let eyeballRadiusPerEyeWidth = 0.45
    /// Below this lid opening (upper-to-lower lid distance / eye width) an eye is taken as closed.
    public static let closedEyeOpening = 0.09

    /// Gaze of a face from its mesh; `pose` (head pose, degrees) adds the camera-relative direction. nil when the
    /// landmarks are not the 478-point mesh.
    public init?(mesh: FaceLandmarks, pose: HeadPose?) {
        guard mesh.layout == .mesh478 else { return nil }
        let p = mesh.points
        // the face's horizontal, pointing to image right for an upright face; y axis 90° clockwise (image down)
        let across = p[263] - p[33]
        let len = (across.x * across.x + across.y * across.y).squareRoot()
        guard len > 0 else { return nil }
        let ux = Point2(across.x / len, across.y / len)
        let uy = Point2(-ux.y, ux.x)
        func dot(_ a: Point2, _ b: Point2) -> Double { a.x * b.x + a.y * b.y }

        // subject's right eye: corners 33/133, lids 159/145, iris 468; left: 263/362, 386/374, 473
        func eye(outer: Int, inner: Int, upper: Int, lower: Int, iris: Int) -> (Direction?, String?) {
            let width = p[outer].distance(to: p[inner])
            guard width > 0 else { return (nil, "eye not found") }
            let opening = p[upper].distance(to: p[lower]) / width
            guard opening >= Self.closedEyeOpening else {
                return (nil, String(format: "eye closed (opening %.2f < %.2f)", opening, Self.closedEyeOpening))
            }
            let middle = Point2.mean([p[outer], p[inner], p[upper], p[lower]])
            let d = p[iris] - middle
            let r = Self.eyeballRadiusPerEyeWidth * width
            func angle(_ s: Double) -> Double { asin(max(-1, min(1, s))) * 180 / .pi }
            return (Direction(yaw: angle(dot(d, ux) / r), pitch: angle(-dot(d, uy) / r)), nil)
        }
        let (right, whyRight) = eye(outer: 33, inner: 133, upper: 159, lower: 145, iris: 468)
        let (left, whyLeft) = eye(outer: 263, inner: 362, upper: 386, lower: 374, iris: 473)
        let open = [right, left].compactMap { $0 }
        var combined: Direction?
        if !open.isEmpty {
            combined = Direction(yaw: open.map(\.yaw).reduce(0, +) / Double(open.count),
                                 pitch: open.map(\.pitch).reduce(0, +) / Double(open.count))
        }
        // small-angle composition with head pose (same sign conventions: yaw > 0 toward image right, pitch > 0 up)
        let camera = combined.flatMap { c in pose.map { Direction(yaw: $0.yaw + c.yaw, pitch: $0.pitch + c.pitch) } }
        let reason = open.isEmpty ? "both eyes closed or occluded (\(whyRight ?? "?"); \(whyLeft ?? "?"))" : nil
        self.init(left: left, right: right, combined: combined, camera: camera, abstained: reason)
    }
}
