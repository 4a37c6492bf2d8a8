import MienCore

/// The per-track series a video report draws, kept in bounded memory: when a track passes `maxPoints`, neighbouring
/// points are merged pairwise (values averaged), so a 10-minute video and a 10-second one cost the same.
public struct VideoTimeline: Sendable {
    /// Series names, in the order of `Point.values`.
    public static let headPose = ["yaw", "pitch", "roll"]
    public static let motion = ["head_speed", "body_motion"]
    /// The blendshapes the report draws (smoothed; a left/right pair as its mean): the ones that move most in
    /// conversation, chosen for a readable chart rather than completeness (the JSONL and CSV have all 52).
    public static let blendshapes: [(name: String, coefficients: [String])] = [
        ("jawOpen", ["jawOpen"]), ("mouthSmile", ["mouthSmileLeft", "mouthSmileRight"]),
        ("mouthFrown", ["mouthFrownLeft", "mouthFrownRight"]), ("browInnerUp", ["browInnerUp"]),
        ("browDown", ["browDownLeft", "browDownRight"]), ("eyeSquint", ["eyeSquintLeft", "eyeSquintRight"]),
        ("eyeBlink", ["eyeBlinkLeft", "eyeBlinkRight"]),
    ]

    public struct Point: Sendable {
        public var time: Double
        /// Smoothed label ("uncertain" included) when expressions are produced.
        public var label: String?
        /// Smoothed probabilities (model class order), valence, arousal.
        public var probabilities: [Double]
        public var valenceArousal: [Double]
        /// Relative movement measures (`MovementMeasures.named` order), pose, head speed and body motion; NaN when
        /// missing.
        public var measures: [Double]
        public var pose: [Double]
        public var motion: [Double]
        /// Smoothed blendshapes in `VideoTimeline.blendshapes` order; empty when the mesh did not run.
        public var blendshapes: [Double] = []
        var weight = 1.0
    }

    public var maxPoints: Int
    public private(set) var classes: [String]?
    public private(set) var tracks: [Int: [Point]] = [:]

    public init(maxPoints: Int = 1200) { self.maxPoints = maxPoints }

    public mutating func add(_ frame: VideoFrameResult) {
        for t in frame.faces {
            if let s = t.smoothed, classes == nil { classes = s.classes }
            let nan = Double.nan
            var p = Point(time: frame.time, label: t.smoothed?.label, probabilities: t.smoothed?.probabilities ?? [],
                          valenceArousal: t.smoothed.map { [$0.valence, $0.arousal] } ?? [],
                          measures: t.relativeMeasures?.named.map(\.1) ?? Array(repeating: nan, count: 10),
                          pose: t.face.pose.map { [$0.yaw, $0.pitch, $0.roll] } ?? [nan, nan, nan],
                          motion: [t.headSpeed ?? nan, t.bodyMotion ?? nan])
            if t.face.blendshapes != nil {
                // NaN (a gap in the chart) where the mesh abstained
                p.blendshapes = Self.blendshapes.map { _, names in
                    let values = names.compactMap { t.blendshapesSmoothed?[$0] }
                    return values.isEmpty ? nan : values.reduce(0, +) / Double(values.count)
                }
            }
            tracks[t.track, default: []].append(p)
            if tracks[t.track]!.count > maxPoints { tracks[t.track] = Self.halve(tracks[t.track]!) }
        }
    }

    static func halve(_ points: [Point]) -> [Point] {
        stride(from: 0, to: points.count, by: 2).map { i in
            guard i + 1 < points.count else { return points[i] }
            let a = points[i], b = points[i + 1]
            func mix(_ x: [Double], _ y: [Double]) -> [Double] {
                guard x.count == y.count else { return x }
                return zip(x, y).map { u, v in
                    u.isNaN ? v : v.isNaN ? u : (u * a.weight + v * b.weight) / (a.weight + b.weight)
                }
            }
            var m = a
            m.time = (a.time * a.weight + b.time * b.weight) / (a.weight + b.weight)
            m.probabilities = mix(a.probabilities, b.probabilities)
            m.valenceArousal = mix(a.valenceArousal, b.valenceArousal)
            m.measures = mix(a.measures, b.measures)
            m.pose = mix(a.pose, b.pose)
            m.motion = mix(a.motion, b.motion)
            m.blendshapes = mix(a.blendshapes, b.blendshapes)
            m.weight = a.weight + b.weight
            return m
        }
    }
}

/// The soundtrack's timeline for the report, in plain numbers (filled from `mien voice`'s analysis by the caller).
public struct VoiceTimeline: Sendable {
    public struct Second: Sendable {
        public var second: Int
        public var speechFraction: Double
        public var levelDBFS: Double
        public var f0MedianHz: Double?
        public init(second: Int, speechFraction: Double, levelDBFS: Double, f0MedianHz: Double?) {
            self.second = second
            self.speechFraction = speechFraction
            self.levelDBFS = levelDBFS
            self.f0MedianHz = f0MedianHz
        }
    }

    public struct Segment: Sendable {
        public var start: Double
        public var end: Double
        /// Vocal expression label or "uncertain"; nil under measures-only.
        public var label: String?
        public init(start: Double, end: Double, label: String?) {
            self.start = start
            self.end = end
            self.label = label
        }
    }

    public var seconds: [Second]
    public var segments: [Segment]
    public var note: String?

    public init(seconds: [Second], segments: [Segment], note: String? = nil) {
        self.seconds = seconds
        self.segments = segments
        self.note = note
    }
}
