/// A point in image pixels (x right, y down).
public struct Point2: Sendable, Codable, Hashable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public static func + (a: Point2, b: Point2) -> Point2 { Point2(a.x + b.x, a.y + b.y) }
    public static func - (a: Point2, b: Point2) -> Point2 { Point2(a.x - b.x, a.y - b.y) }
    public static func * (a: Point2, s: Double) -> Point2 { Point2(a.x * s, a.y * s) }

    public func distance(to other: Point2) -> Double {
        ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
    }

    /// Mean of a non-empty list of points.
    public static func mean(_ points: [Point2]) -> Point2 {
        guard !points.isEmpty else { return Point2(0, 0) }
        var sx = 0.0, sy = 0.0
        for p in points {
            sx += p.x
            sy += p.y
        }
        return Point2(sx / Double(points.count), sy / Double(points.count))
    }

    // Compact JSON: [x, y] rather than {"x":…,"y":…}, since a face has 68 of them.
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode((x * 100).rounded() / 100)
        try c.encode((y * 100).rounded() / 100)
    }
}
