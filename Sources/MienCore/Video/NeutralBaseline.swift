/// A per-track zero point for movement measures, so that a person's resting face reads zero and the timeline
/// shows how far they move from it (people differ more from each other at rest than a brow raise moves).
///
/// The baseline is the per-measure median of samples taken at most `sampleRate` times a second over the track's
/// last `window` seconds. When expression estimates are available, samples from frames whose smoothed label is
/// "neutral" are kept apart and used once there are `minNeutralSamples` of them; otherwise (measures-only, or a
/// person who is never neutral) the median of all samples stands in, which is the person's *typical* face.
/// Memory is bounded: at most window × sampleRate samples per pool.
public struct NeutralBaseline: Sendable {
    public var window: Double
    public var sampleRate: Double
    public var minNeutralSamples: Int
    private var neutral: [(Double, [Double])] = []
    private var all: [(Double, [Double])] = []
    private var lastSample = -Double.infinity
    private var cached: [Double]?

    public init(window: Double = 60, sampleRate: Double = 5, minNeutralSamples: Int = 10) {
        self.window = window
        self.sampleRate = sampleRate
        self.minNeutralSamples = minNeutralSamples
    }

    /// Which pool the current baseline comes from: "neutral frames" or "all frames".
    public var source: String { neutral.count >= minNeutralSamples ? "neutral frames" : "all frames" }

    /// Adds the frame (when its sample is due) and returns the measures relative to the baseline.
    public mutating func relative(_ m: MovementMeasures, at time: Double, neutralLabel: Bool) -> MovementMeasures {
        MovementMeasures(values: relative(values: m.named.map(\.1), at: time, neutralLabel: neutralLabel)) ?? m
    }

    /// The same for any fixed-order vector of values (the blendshape coefficients: `BlendshapeBaseline`).
    public mutating func relative(values: [Double], at time: Double, neutralLabel: Bool) -> [Double] {
        if time - lastSample >= 1 / sampleRate {
            lastSample = time
            all.append((time, values))
            if neutralLabel { neutral.append((time, values)) }
            all.removeAll { time - $0.0 > window }
            neutral.removeAll { time - $0.0 > window }
            cached = nil
        }
        let base = baseline()
        return base.count == values.count ? zip(values, base).map { $0 - $1 } : values
    }

    /// The current baseline values in `MovementMeasures.named` order.
    public mutating func baseline() -> [Double] {
        if let cached { return cached }
        let pool = neutral.count >= minNeutralSamples ? neutral : all
        guard let width = pool.first?.1.count else { return [] }
        let b = (0..<width).map { j -> Double in
            let column = pool.map { $0.1[j] }.sorted()
            return column.count % 2 == 1 ? column[column.count / 2]
                : (column[column.count / 2 - 1] + column[column.count / 2]) / 2
        }
        cached = b
        return b
    }
}

extension MovementMeasures {
    /// Builds measures from values in `named` order.
    public init?(values v: [Double]) {
        guard v.count == 10 else { return nil }
        self.init(innerBrowRaise: v[0], outerBrowRaise: v[1], browLowering: v[2], eyeOpeningLeft: v[3],
                  eyeOpeningRight: v[4], lipCornerPull: v[5], lipCornerDepression: v[6], lipStretch: v[7],
                  lipsParted: v[8], jawDrop: v[9])
    }
}

/// The per-track neutral baseline of the blendshape coefficients, as `NeutralBaseline` does for the geometric
/// measures: the median of each coefficient over the track's neutral frames (or all frames), sampled only on frames
/// the mesh ran on, so that values carried between mesh runs do not count twice. Relative values run from −1 to 1.
public struct BlendshapeBaseline: Sendable {
    private var baseline = NeutralBaseline()
    private var names: [String] = []

    public init() {}

    public var source: String { baseline.source }

    /// Adds the coefficients measured at `time` and returns them relative to the baseline; nil when the mesh
    /// abstained.
    public mutating func relative(_ b: Blendshapes, at time: Double, neutralLabel: Bool) -> Blendshapes? {
        guard !b.coefficients.isEmpty else { return nil }
        if names.isEmpty { names = b.coefficients.keys.sorted() }
        let values = names.map { b.coefficients[$0] ?? 0 }
        let relative = baseline.relative(values: values, at: time, neutralLabel: neutralLabel)
        return Blendshapes(model: b.model, coefficients: Dictionary(uniqueKeysWithValues: zip(names, relative)))
    }

    /// The baseline now, by coefficient name; nil before any coefficients were added.
    public mutating func values() -> [String: Double]? {
        let base = baseline.baseline()
        return base.count == names.count && !names.isEmpty ? Dictionary(uniqueKeysWithValues: zip(names, base)) : nil
    }
}
