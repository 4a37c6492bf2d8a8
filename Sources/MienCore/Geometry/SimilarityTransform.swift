/// A 2-D similarity (rotation, uniform scale, translation): maps source points to destination points.
///
/// Fitted by least squares (Umeyama 1991 without reflection), which is what face alignment needs: it keeps the
/// face's proportions, so expression geometry is not distorted by the crop.
public struct SimilarityTransform: Sendable, Codable, Hashable {
    /// Row-major 2×3 matrix [a, -b, tx; b, a, ty].
    public var matrix: [Double]

    public init(scale: Double, rotation: Double, tx: Double, ty: Double) {
        let a = scale * cos(rotation), b = scale * sin(rotation)
        matrix = [a, -b, tx, b, a, ty]
    }

    public var scale: Double { (matrix[0] * matrix[0] + matrix[3] * matrix[3]).squareRoot() }
    public var rotation: Double { atan2(matrix[3], matrix[0]) }

    public func apply(_ p: Point2) -> Point2 {
        Point2(matrix[0] * p.x + matrix[1] * p.y + matrix[2], matrix[3] * p.x + matrix[4] * p.y + matrix[5])
    }

    public var inverse: SimilarityTransform {
        let s = scale, r = rotation
        let inv = SimilarityTransform(scale: 1 / s, rotation: -r, tx: 0, ty: 0)
        let t = inv.apply(Point2(matrix[2], matrix[5]))
        return SimilarityTransform(scale: 1 / s, rotation: -r, tx: -t.x, ty: -t.y)
    }

    /// Least-squares similarity taking `source[i]` to `target[i]`. Needs at least two distinct points.
    public static func fit(from source: [Point2], to target: [Point2]) -> SimilarityTransform? {
        guard source.count == target.count, source.count >= 2 else { return nil }
        let ms = Point2.mean(source), mt = Point2.mean(target)
        var sxx = 0.0, sab = 0.0, varS = 0.0
        for (s, t) in zip(source, target) {
            let a = s - ms, b = t - mt
            sxx += a.x * b.x + a.y * b.y        // Σ a·b
            sab += a.x * b.y - a.y * b.x        // Σ a×b
            varS += a.x * a.x + a.y * a.y
        }
        guard varS > 1e-12 else { return nil }
        let rotation = atan2(sab, sxx)
        let scale = (sxx * sxx + sab * sab).squareRoot() / varS
        var t = SimilarityTransform(scale: scale, rotation: rotation, tx: 0, ty: 0)
        let moved = t.apply(ms)
        t.matrix[2] = mt.x - moved.x
        t.matrix[5] = mt.y - moved.y
        return t
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
