#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Controlled distortions of a small grey face image (FER2013's 48×48), for the robustness benchmark
/// (`mien eval --robustness`). Each shift is deterministic: noise, jitter and patch positions come from a generator
/// seeded by the image's index, so every tool sees exactly the same pixels. JPEG re-encoding needs a codec and is
/// done by the caller (`ImageShift.jpeg`).
public enum ImageShift: Sendable, Hashable, CustomStringConvertible {
    case clean
    /// Gaussian blur with this σ in pixels.
    case blur(sigma: Double)
    /// Additive Gaussian noise with this σ in grey levels.
    case noise(sigma: Double)
    /// JPEG re-encoding at this quality (1–100).
    case jpeg(quality: Int)
    /// v' = 255·(v/255)^γ: γ > 1 darkens the mid-tones.
    case gamma(Double)
    /// Low light: levels scaled by `gain`, then sensor noise of σ `noise` grey levels.
    case lowLight(gain: Double, noise: Double)
    /// Contrast scaled by `factor` around the image mean.
    case contrast(factor: Double)
    /// Seen small: shrunk to `side` pixels and scaled back up (bilinear both ways).
    case small(side: Int)
    /// In-plane rotation by this many degrees about the centre.
    case rotation(degrees: Double)
    /// Alignment error: a random shift of up to `shift` pixels and scale change of up to `scale` (fraction).
    case jitter(shift: Double, scale: Double)
    /// A flat grey square of `side` pixels at a random place.
    case occlusion(side: Int)
    /// The lower `fraction` of the face covered (a mask, a hand on the mouth).
    case lowerOcclusion(fraction: Double)

    /// The benchmark's shifts, in report order.
    public static let benchmark: [ImageShift] = [
        .clean, .blur(sigma: 1), .blur(sigma: 2), .noise(sigma: 10), .noise(sigma: 25), .jpeg(quality: 30),
        .jpeg(quality: 10), .gamma(2.2), .gamma(0.45), .lowLight(gain: 0.3, noise: 4), .contrast(factor: 0.5),
        .small(side: 24), .small(side: 16), .rotation(degrees: 15), .rotation(degrees: -30),
        .jitter(shift: 3, scale: 0.1), .jitter(shift: 6, scale: 0.2), .occlusion(side: 16),
        .lowerOcclusion(fraction: 0.35),
    ]

    public var description: String {
        func n(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
        switch self {
        case .clean: return "clean"
        case .blur(let s): return "blur-sigma\(n(s))"
        case .noise(let s): return "noise-sigma\(n(s))"
        case .jpeg(let q): return "jpeg-q\(q)"
        case .gamma(let g): return "gamma-\(n(g))"
        case .lowLight(let g, let s): return "low-light-x\(n(g))-noise\(n(s))"
        case .contrast(let f): return "contrast-x\(n(f))"
        case .small(let side): return "small-\(side)px"
        case .rotation(let d): return "rotation\(d < 0 ? "" : "+")\(n(d))deg"
        case .jitter(let s, let sc): return "jitter-\(n(s))px-\(Int((sc * 100).rounded()))pct"
        case .occlusion(let side): return "occlusion-\(side)px"
        case .lowerOcclusion(let f): return "lower-occlusion-\(Int((f * 100).rounded()))pct"
        }
    }

    /// Applies the shift (every case but `.jpeg`, which returns the input) to a `side`×`side` grey image.
    public func apply(_ pixels: [UInt8], side: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
        let v = pixels.map(Double.init)
        switch self {
        case .clean, .jpeg: return pixels
        case .blur(let sigma): return Self.quantise(Self.gaussianBlur(v, side: side, sigma: sigma))
        case .noise(let sigma): return Self.quantise(v.map { $0 + sigma * rng.gaussian() })
        case .gamma(let g): return Self.quantise(v.map { 255 * pow($0 / 255, g) })
        case .lowLight(let gain, let sigma): return Self.quantise(v.map { $0 * gain + sigma * rng.gaussian() })
        case .contrast(let f):
            let mean = v.reduce(0, +) / Double(max(v.count, 1))
            return Self.quantise(v.map { mean + f * ($0 - mean) })
        case .small(let small):
            let down = Self.resize(v, from: side, to: small)
            return Self.quantise(Self.resize(down, from: small, to: side))
        case .rotation(let degrees):
            return Self.quantise(Self.warp(v, side: side, angle: degrees * .pi / 180, scale: 1, dx: 0, dy: 0))
        case .jitter(let shift, let scale):
            let dx = shift * (2 * rng.uniform() - 1), dy = shift * (2 * rng.uniform() - 1)
            let s = 1 + scale * (2 * rng.uniform() - 1)
            return Self.quantise(Self.warp(v, side: side, angle: 0, scale: s, dx: dx, dy: dy))
        case .occlusion(let patch):
            var out = pixels
            let x0 = Int(rng.uniform() * Double(max(side - patch, 0) + 1))
            let y0 = Int(rng.uniform() * Double(max(side - patch, 0) + 1))
            for y in y0..<min(side, y0 + patch) { for x in x0..<min(side, x0 + patch) { out[y * side + x] = 128 } }
            return out
        case .lowerOcclusion(let fraction):
            var out = pixels
            let top = side - Int((Double(side) * fraction).rounded())
            for y in max(0, top)..<side { for x in 0..<side { out[y * side + x] = 128 } }
            return out
        }
    }

    static func quantise(_ v: [Double]) -> [UInt8] { v.map { UInt8(max(0, min(255, $0.rounded()))) } }

    /// Separable Gaussian blur, borders replicated.
    static func gaussianBlur(_ v: [Double], side: Int, sigma: Double) -> [Double] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        func clamp(_ i: Int) -> Int { min(side - 1, max(0, i)) }
        var tmp = [Double](repeating: 0, count: v.count), out = tmp
        for y in 0..<side {
            for x in 0..<side {
                var s = 0.0
                for (k, w) in kernel.enumerated() { s += w * v[y * side + clamp(x + k - radius)] }
                tmp[y * side + x] = s
            }
        }
        for y in 0..<side {
            for x in 0..<side {
                var s = 0.0
                for (k, w) in kernel.enumerated() { s += w * tmp[clamp(y + k - radius) * side + x] }
                out[y * side + x] = s
            }
        }
        return out
    }

    /// Bilinear resize of a square image, sampling at pixel centres (as OpenCV's INTER_LINEAR; area-averaged when
    /// shrinking would differ only in aliasing, which is part of what "seen small" means).
    static func resize(_ v: [Double], from: Int, to: Int) -> [Double] {
        let s = Double(from) / Double(to)
        return (0..<(to * to)).map { i in
            let x = (Double(i % to) + 0.5) * s - 0.5, y = (Double(i / to) + 0.5) * s - 0.5
            return bilinear(v, side: from, x: x, y: y)
        }
    }

    /// The image rotated by `angle` and scaled by `scale` about its centre, then moved by (dx, dy); borders
    /// replicated.
    static func warp(_ v: [Double], side: Int, angle: Double, scale: Double, dx: Double, dy: Double) -> [Double] {
        let c = Double(side - 1) / 2, ca = cos(angle), sa = sin(angle)
        return (0..<(side * side)).map { i in
            // Inverse map: output pixel → source position.
            let ox = Double(i % side) - c - dx, oy = Double(i / side) - c - dy
            let x = (ca * ox + sa * oy) / scale + c, y = (-sa * ox + ca * oy) / scale + c
            return bilinear(v, side: side, x: x, y: y)
        }
    }

    static func bilinear(_ v: [Double], side: Int, x: Double, y: Double) -> Double {
        let xc = min(Double(side - 1), max(0, x)), yc = min(Double(side - 1), max(0, y))
        let x0 = Int(xc), y0 = Int(yc), x1 = min(x0 + 1, side - 1), y1 = min(y0 + 1, side - 1)
        let ax = xc - Double(x0), ay = yc - Double(y0)
        return (v[y0 * side + x0] * (1 - ax) + v[y0 * side + x1] * ax) * (1 - ay)
            + (v[y1 * side + x0] * (1 - ax) + v[y1 * side + x1] * ax) * ay
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood 2014), so shifted images are the same on every run.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
