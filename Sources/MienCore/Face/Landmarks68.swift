/// The 68 facial landmarks of the iBUG-300W layout (Sagonas et al. 2013), as dlib's shape predictor gives them.
///
/// Index ranges: jaw 0–16, right brow 17–21, left brow 22–26 (subject's right/left = image left/right for a
/// frontal face), nose 27–35, right eye 36–41, left eye 42–47, outer lips 48–59, inner lips 60–67.
public struct Landmarks68: Sendable, Codable, Hashable {
    public var points: [Point2]

    public init?(points: [Point2]) {
        guard points.count == 68 else { return nil }
        self.points = points
    }

    public subscript(i: Int) -> Point2 { points[i] }

    public var rightEyeCenter: Point2 { Point2.mean(Array(points[36...41])) }
    public var leftEyeCenter: Point2 { Point2.mean(Array(points[42...47])) }
    /// Distance between the eye centres: the unit that makes every movement measure scale-free.
    public var interOcularDistance: Double { rightEyeCenter.distance(to: leftEyeCenter) }
    public var boundingRect: Rect { Rect.bounding(points) }

    public init(from decoder: Decoder) throws {
        let pts = try decoder.singleValueContainer().decode([Point2].self)
        guard pts.count == 68 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected 68 landmarks, got \(pts.count)"))
        }
        points = pts
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(points)
    }
}
