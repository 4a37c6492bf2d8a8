/// What a whole video (or live session) came to: one JSONL line at the end (kind "video-summary") and the HTML
/// report's summary table.
public struct VideoSummary: Sendable, Codable, Hashable {
    public var schema = "mien/1"
    public var kind = "video-summary"
    public var source: String
    public var width: Int
    public var height: Int
    /// The container's frame rate (0 when unknown, e.g. live).
    public var fps: Double
    public var framesDecoded: Int
    public var framesAnalysed: Int
    /// Live sources: frames dropped because analysis fell behind.
    public var framesDropped: Int
    /// Seconds of video covered (first to last analysed frame).
    public var duration: Double
    /// Wall-clock seconds spent and analysed frames per second.
    public var wallSeconds: Double
    public var framesPerSecond: Double
    public var tracks: [TrackSummary]
    public var events: [MovementEvent]
    /// Why the video ended early (damaged data, a stalled stream), or nil when it was read to the end.
    public var stopped: String?
    /// What was produced ("measures", "expressions") and the expression model, when any.
    public var outputs: [String]
    public var model: String?

    public init(source: String, width: Int, height: Int, fps: Double) {
        self.source = source
        self.width = width
        self.height = height
        self.fps = fps
        framesDecoded = 0
        framesAnalysed = 0
        framesDropped = 0
        duration = 0
        wallSeconds = 0
        framesPerSecond = 0
        tracks = []
        events = []
        outputs = []
    }
}

/// One person's track over the video.
public struct TrackSummary: Sendable, Codable, Hashable {
    public var track: Int
    public var firstTime: Double
    public var lastTime: Double
    public var frames: Int
    /// Frames where the detector (not landmark following) found the face.
    public var detectedFrames: Int
    /// Mean smoothed probability per class; nil when expressions are not produced.
    public var meanProbabilities: [String: Double]?
    /// Share of frames per smoothed label, "uncertain" included as a state of its own.
    public var labelShare: [String: Double]?
    public var meanValence: Double?
    public var meanArousal: Double?
    public var meanHeadSpeed: Double?
    public var meanBodyMotion: Double?
    public var nods: Int
    public var shakes: Int
    /// Blinks (`BlinkDetector`), and blinks per minute of the time the track had mesh values; nil when the mesh
    /// did not run (blendshapes off, or every face too small for it). Eyelid movement, not a state of mind.
    public var blinks: Int?
    public var blinksPerMinute: Double?
    /// Eye closures longer than a blink, and looks away from the camera (`GazeAwayDetector`); nil as for blinks.
    public var eyesClosed: Int?
    public var gazeAway: Int?
    /// Seconds of the track covered by mesh values (first to last frame that had them).
    public var meshSeconds: Double?
    /// The movement baseline at the end of the track (`NeutralBaseline`), and which frames it came from.
    public var baseline: MovementMeasures?
    public var baselineSource: String?
    /// The blendshape baseline at the end of the track (`BlendshapeBaseline`), by coefficient; nil without the mesh.
    public var blendshapeBaseline: [String: Double]?
}

/// Accumulates a `TrackSummary` frame by frame in constant memory.
public struct TrackSummaryBuilder: Sendable {
    public private(set) var summary: TrackSummary
    private var probabilitySums: [String: Double] = [:]
    private var labelCounts: [String: Int] = [:]
    private var expressionFrames = 0
    private var valence = 0.0, arousal = 0.0
    private var headSpeedSum = 0.0, headSpeedCount = 0
    private var bodySum = 0.0, bodyCount = 0
    private var meshSpan: (first: Double, last: Double)?
    private var blinks = 0, eyesClosed = 0, gazeAway = 0

    public init(track: Int, time: Double) {
        summary = TrackSummary(track: track, firstTime: time, lastTime: time, frames: 0, detectedFrames: 0,
                               nods: 0, shakes: 0)
    }

    public mutating func add(_ face: TrackedFace, at time: Double) {
        summary.lastTime = time
        summary.frames += 1
        if face.detected { summary.detectedFrames += 1 }
        if let e = face.smoothed {
            expressionFrames += 1
            for (c, p) in zip(e.classes, e.probabilities) { probabilitySums[c, default: 0] += p }
            labelCounts[e.label, default: 0] += 1
            valence += e.valence
            arousal += e.arousal
        }
        if let s = face.headSpeed { headSpeedSum += s; headSpeedCount += 1 }
        if let b = face.bodyMotion { bodySum += b; bodyCount += 1 }
        if let b = face.face.blendshapes, !b.coefficients.isEmpty {
            meshSpan = (meshSpan?.first ?? time, time)
        }
    }

    public mutating func add(_ event: MovementEvent) {
        switch event.kind {
        case .nod: summary.nods += 1
        case .shake: summary.shakes += 1
        case .blink: blinks += 1
        case .eyesClosed: eyesClosed += 1
        case .gazeAway: gazeAway += 1
        case .handToFace: break   // listed with the summary's events
        }
    }

    public func finished(baseline: MovementMeasures?, baselineSource: String?,
                         blendshapeBaseline: [String: Double]? = nil) -> TrackSummary {
        var s = summary
        if expressionFrames > 0 {
            let n = Double(expressionFrames)
            s.meanProbabilities = probabilitySums.mapValues { $0 / n }
            s.labelShare = labelCounts.mapValues { Double($0) / n }
            s.meanValence = valence / n
            s.meanArousal = arousal / n
        }
        if headSpeedCount > 0 { s.meanHeadSpeed = headSpeedSum / Double(headSpeedCount) }
        if bodyCount > 0 { s.meanBodyMotion = bodySum / Double(bodyCount) }
        if let span = meshSpan {
            let seconds = span.last - span.first
            s.meshSeconds = seconds
            s.blinks = blinks
            s.eyesClosed = eyesClosed
            s.gazeAway = gazeAway
            // under 10 s a rate says more about the chance of one blink than about the person
            if seconds >= 10 { s.blinksPerMinute = Double(blinks) / seconds * 60 }
        }
        s.baseline = baseline
        s.baselineSource = baselineSource
        s.blendshapeBaseline = blendshapeBaseline?.mapValues { ($0 * 10000).rounded() / 10000 }
        return s
    }
}
