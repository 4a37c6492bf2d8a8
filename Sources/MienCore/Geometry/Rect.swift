/// An axis-aligned rectangle in image pixels.
public struct Rect: Sendable, Codable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Double { max(0, width) * max(0, height) }
    public var center: Point2 { Point2(x + width / 2, y + height / 2) }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }

    public func contains(_ p: Point2) -> Bool { p.x >= x && p.x <= maxX && p.y >= y && p.y <= maxY }

    public func intersection(_ o: Rect) -> Rect? {
        let x0 = max(x, o.x), y0 = max(y, o.y), x1 = min(maxX, o.maxX), y1 = min(maxY, o.maxY)
        guard x1 > x0, y1 > y0 else { return nil }
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Intersection over union, 0…1.
    public func iou(_ o: Rect) -> Double {
        guard let i = intersection(o) else { return 0 }
        let union = area + o.area - i.area
        return union > 0 ? i.area / union : 0
    }

    /// The same rectangle grown (or shrunk) by `factor` about its centre.
    public func scaled(by factor: Double) -> Rect {
        let c = center
        return Rect(x: c.x - width * factor / 2, y: c.y - height * factor / 2, width: width * factor,
                    height: height * factor)
    }

    /// Bounding box of points.
    public static func bounding(_ points: [Point2]) -> Rect {
        guard let first = points.first else { return Rect(x: 0, y: 0, width: 0, height: 0) }
        var x0 = first.x, y0 = first.y, x1 = first.x, y1 = first.y
        for p in points {
            x0 = min(x0, p.x); y0 = min(y0, p.y); x1 = max(x1, p.x); y1 = max(y1, p.y)
        }
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    private enum CodingKeys: String, CodingKey { case x, y, width, height }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode((x * 10).rounded() / 10, forKey: .x)
        try c.encode((y * 10).rounded() / 10, forKey: .y)
        try c.encode((width * 10).rounded() / 10, forKey: .width)
        try c.encode((height * 10).rounded() / 10, forKey: .height)
    }
}
