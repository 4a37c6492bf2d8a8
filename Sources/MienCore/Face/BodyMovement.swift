#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Body movement measures from one person's keypoints: where the shoulders sit, how the torso leans, whether a hand
/// is at the face, and (in video) how fast each arm moves. Movement, never emotion: a raised shoulder or a hand at
/// the face is reported as that, with no inference about what it means (docs/BODY.md).
///
/// Image coordinates (y down). "left"/"right" are the person's own sides as the model labels them. A measure is nil
/// when the points it needs are not visible (visibility < `minimumVisibility`).
public struct BodyMovement: Sendable, Codable, Hashable {
    /// MediaPipe's own drawing threshold for a landmark worth showing.
    public static let minimumVisibility = 0.5
    /// A hand point this close to the face box (in face-box widths; 0 = inside the box) counts as contact. 0.2 of
    /// a face is ~3 cm at adult face size: touching, or a finger's width away, within the keypoints' error.
    public static let handContactDistance = 0.2

    /// Height of the nose above the shoulder line, in shoulder widths. Falls when the shoulders rise toward the
    /// ears (or the head sinks); a still has no baseline, so `shoulderRaise` is only given in video.
    public var shoulderHeight: Double?
    /// Angle of the shoulder line, degrees; > 0 when the person's left shoulder is higher in the image.
    public var shoulderTiltDegrees: Double?
    /// Torso angle from vertical (hip midpoint → shoulder midpoint), degrees; > 0 toward the image's right. Needs
    /// both hips visible.
    public var leanDegrees: Double?
    /// Closest distance of the hand's points (wrist, index, pinky, thumb) to the face box, in face-box widths.
    public var handFaceDistanceLeft: Double?
    public var handFaceDistanceRight: Double?
    /// Whether that hand is at the face (distance ≤ `handContactDistance`).
    public var handToFaceLeft: Bool?
    public var handToFaceRight: Bool?
    /// Video only: drop of `shoulderHeight` below the person's own baseline (the median of their first samples),
    /// in shoulder widths; > 0 when the shoulders are raised relative to how this person started.
    public var shoulderRaise: Double?
    /// Video only: wrist speed in shoulder widths per second, smoothed; one value per arm.
    public var gestureEnergyLeft: Double?
    public var gestureEnergyRight: Double?

    public init() {}

    /// The still-image measures of `points` (a `BodyLayout.mediapipe33` layout) for the face in `face`.
    public init(points: [BodyKeypoints.Keypoint], face: Rect) {
        func visible(_ name: String) -> Point2? {
            guard let i = BodyLayout.mediapipe33Names.firstIndex(of: name), i < points.count,
                  points[i].visibility >= Self.minimumVisibility else { return nil }
            return points[i].point
        }
        let degrees = 180 / Double.pi
        if let ls = visible("left_shoulder"), let rs = visible("right_shoulder") {
            let width = ls.distance(to: rs)
            if width > 1 {
                let mid = Point2.mean([ls, rs])
                if let nose = visible("nose") { shoulderHeight = (mid.y - nose.y) / width }
                shoulderTiltDegrees = atan2(rs.y - ls.y, abs(ls.x - rs.x)) * degrees
                if let lh = visible("left_hip"), let rh = visible("right_hip") {
                    let hips = Point2.mean([lh, rh])
                    leanDegrees = atan2(mid.x - hips.x, hips.y - mid.y) * degrees
                }
            }
        }
        if face.width > 0 {
            func distance(_ side: String) -> Double? {
                let d = ["wrist", "index", "pinky", "thumb"].compactMap { visible("\(side)_\($0)") }
                    .map { Self.distance(from: $0, to: face) / face.width }
                return d.min()
            }
            handFaceDistanceLeft = distance("left")
            handFaceDistanceRight = distance("right")
            handToFaceLeft = handFaceDistanceLeft.map { $0 <= Self.handContactDistance }
            handToFaceRight = handFaceDistanceRight.map { $0 <= Self.handContactDistance }
        }
    }

    /// Distance from `p` to the rectangle (0 inside it).
    static func distance(from p: Point2, to r: Rect) -> Double {
        let dx = max(r.x - p.x, 0, p.x - r.maxX), dy = max(r.y - p.y, 0, p.y - r.maxY)
        return (dx * dx + dy * dy).squareRoot()
    }

    private enum CodingKeys: String, CodingKey {
        case shoulderHeight = "shoulder_height", shoulderTiltDegrees = "shoulder_tilt_degrees"
        case leanDegrees = "lean_degrees"
        case handFaceDistanceLeft = "hand_face_distance_left", handFaceDistanceRight = "hand_face_distance_right"
        case handToFaceLeft = "hand_to_face_left", handToFaceRight = "hand_to_face_right"
        case shoulderRaise = "shoulder_raise"
        case gestureEnergyLeft = "gesture_energy_left", gestureEnergyRight = "gesture_energy_right"
    }

    /// Shoulder widths and face widths to 4 decimals, degrees to 2.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func r(_ v: Double?, _ scale: Double) -> Double? { v.map { ($0 * scale).rounded() / scale } }
        try c.encodeIfPresent(r(shoulderHeight, 1e4), forKey: .shoulderHeight)
        try c.encodeIfPresent(r(shoulderTiltDegrees, 100), forKey: .shoulderTiltDegrees)
        try c.encodeIfPresent(r(leanDegrees, 100), forKey: .leanDegrees)
        try c.encodeIfPresent(r(handFaceDistanceLeft, 1e4), forKey: .handFaceDistanceLeft)
        try c.encodeIfPresent(r(handFaceDistanceRight, 1e4), forKey: .handFaceDistanceRight)
        try c.encodeIfPresent(handToFaceLeft, forKey: .handToFaceLeft)
        try c.encodeIfPresent(handToFaceRight, forKey: .handToFaceRight)
        try c.encodeIfPresent(r(shoulderRaise, 1e4), forKey: .shoulderRaise)
        try c.encodeIfPresent(r(gestureEnergyLeft, 1e4), forKey: .gestureEnergyLeft)
        try c.encodeIfPresent(r(gestureEnergyRight, 1e4), forKey: .gestureEnergyRight)
    }
}

/// Which detected body belongs to which face: a body goes to the face whose box (grown by a quarter on each side)
/// holds its nose keypoint, nearest face centre first; each body to at most one face. Bodies with no face are not
/// reported (Mien's results are per face).
public enum BodyAssignment {
    /// - Returns: for each face, the index of its body in `noses`, or nil.
    public static func assign(noses: [Point2], faces: [Rect]) -> [Int?] {
        var pairs: [(face: Int, body: Int, distance: Double)] = []
        for (f, box) in faces.enumerated() {
            let grown = Rect(x: box.x - box.width / 4, y: box.y - box.height / 4, width: box.width * 1.5,
                             height: box.height * 1.5)
            for (b, nose) in noses.enumerated() where grown.contains(nose) {
                pairs.append((f, b, nose.distance(to: box.center) / max(box.width, 1)))
            }
        }
        var result = [Int?](repeating: nil, count: faces.count)
        var used = Set<Int>()
        for p in pairs.sorted(by: { $0.distance < $1.distance }) where result[p.face] == nil && !used.contains(p.body) {
            result[p.face] = p.body
            used.insert(p.body)
        }
        return result
    }
}
