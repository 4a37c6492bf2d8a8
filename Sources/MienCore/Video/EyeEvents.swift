#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blinks of one track from the eyelid blendshapes (`eyeBlinkLeft`, `eyeBlinkRight`; FACS AU45), fed only with the
/// frames the mesh was run on (values carried between them are not new evidence).
///
/// Closure is the mean of the two coefficients, so a wink of one eye does not count. Hysteresis: the eyes count as
/// closed when closure reaches `closeThreshold` and as open again only when it falls below `openThreshold`, so a
/// value hovering near one threshold never makes a train of blinks. A closure that lasts at most `maxBlinkSeconds`
/// is a blink; a longer one is an `eyes-closed` event. Start is the first measured frame with the eyes closed, end
/// the first with them open again, so times are as fine as the mesh's sampling (every k-th frame) and no finer.
/// Thresholds: the middle of the coefficient's range (open eyes read low, higher when looking down as the lid covers
/// the iris; closed eyes high), set before looking at any video and not yet checked against hand-labelled blinks;
/// on the sample video they give 3 blinks in 19.7 s (docs/BLENDSHAPES.md, "Blinks on the sample video").
public struct BlinkDetector: Sendable {
    public var closeThreshold = 0.5
    public var openThreshold = 0.35
    /// Human blinks last 0.1–0.4 s (Stern et al. 1984); longer closures are reported as closed eyes.
    public var maxBlinkSeconds = 1.0
    /// With no mesh measurement for this long (face lost, mesh abstained), a closure in progress is dropped.
    public var maxGapSeconds = 0.5
    public let track: Int

    private var closedSince: Double?
    private var peak = 0.0
    private var lastTime: Double?

    public init(track: Int) { self.track = track }

    /// Feeds one measured frame; returns the blink or closed-eyes event that ended on it, if any.
    public mutating func update(_ shapes: Blendshapes, at time: Double) -> MovementEvent? {
        guard let left = shapes["eyeBlinkLeft"], let right = shapes["eyeBlinkRight"] else { return nil }
        defer { lastTime = time }
        if let last = lastTime, time - last > maxGapSeconds { closedSince = nil }
        let closure = (left + right) / 2
        if let since = closedSince {
            peak = max(peak, closure)
            guard closure < openThreshold else { return nil }
            closedSince = nil
            let kind: MovementEvent.Kind = time - since <= maxBlinkSeconds ? .blink : .eyesClosed
            return MovementEvent(kind: kind, track: track, start: since, end: time, peakClosure: peak)
        }
        if closure >= closeThreshold {
            closedSince = time
            peak = closure
        }
        return nil
    }

    /// Closes a closure still in progress when the track ends (end of the video, or the face lost), ending at its
    /// last measured frame; a closure seen on one measured frame only has no duration and is not reported.
    public mutating func close() -> MovementEvent? {
        defer { closedSince = nil }
        guard let since = closedSince, let end = lastTime, end > since else { return nil }
        let kind: MovementEvent.Kind = end - since <= maxBlinkSeconds ? .blink : .eyesClosed
        return MovementEvent(kind: kind, track: track, start: since, end: end, peakClosure: peak)
    }
}

/// Looks away from the camera in one track: the gaze in camera coordinates (`Gaze.camera`, eye-in-head plus head
/// pose) more than `awayDegrees` off the camera axis for at least `minSeconds`. Hysteresis as for blinks: away from
/// `awayDegrees`, back below `backDegrees`. Frames where gaze abstains (eyes closed, e.g. a blink) neither end nor
/// extend a look away. No per-person calibration: gaze is good to ±5–10° (docs/BLENDSHAPES.md), and a camera
/// beside the screen a person reads from shifts "straight at the camera" by its own angle; the thresholds are set
/// well above both.
public struct GazeAwayDetector: Sendable {
    public var awayDegrees = 20.0
    public var backDegrees = 15.0
    public var minSeconds = 1.0
    public var maxGapSeconds = 0.5
    public let track: Int

    private var awaySince: Double?
    private var lastAway = 0.0
    private var peak = 0.0
    private var lastTime: Double?

    public init(track: Int) { self.track = track }

    /// Feeds one measured frame's gaze; returns the look away that ended on it, if any.
    public mutating func update(_ gaze: Gaze?, at time: Double) -> MovementEvent? {
        guard let d = gaze?.camera else { return nil }
        defer { lastTime = time }
        var finished: MovementEvent?
        if let last = lastTime, time - last > maxGapSeconds { finished = close() }
        let off = (d.yaw * d.yaw + d.pitch * d.pitch).squareRoot()
        if awaySince != nil {
            if off < backDegrees {
                return close(at: time) ?? finished
            }
            peak = max(peak, off)
            lastAway = time
        } else if off > awayDegrees {
            awaySince = time
            lastAway = time
            peak = off
        }
        return finished
    }

    /// Closes a look away still open (end of the track, or a gap), ending at its last measured frame.
    public mutating func close(at time: Double? = nil) -> MovementEvent? {
        defer { awaySince = nil }
        guard let since = awaySince else { return nil }
        let end = time ?? lastAway
        guard end - since >= minSeconds else { return nil }
        return MovementEvent(kind: .gazeAway, track: track, start: since, end: end, peakOffCamera: peak)
    }
}

/// Temporal smoothing of one track's blendshape coefficients: the same first-order exponential filter, with the
/// same time constant, as `ExpressionSmoother`, fed with the frames the mesh was run on only.
public struct BlendshapeSmoother: Sendable {
    public var tau: Double
    public var resetAfter: Double
    private var state: [String: Double]?
    private var lastTime: Double?

    public init(tau: Double = 0.4, resetAfter: Double = 1.0) {
        self.tau = tau
        self.resetAfter = resetAfter
    }

    public mutating func update(_ shapes: Blendshapes, at time: Double) -> Blendshapes {
        guard !shapes.coefficients.isEmpty else { return shapes }
        if var s = state, let last = lastTime, time - last <= resetAfter, tau > 0 {
            let alpha = 1 - exp(-max(0, time - last) / tau)
            for (name, value) in shapes.coefficients { s[name] = (s[name] ?? value) + alpha * (value - (s[name] ?? value)) }
            state = s
        } else {
            state = shapes.coefficients
        }
        lastTime = time
        return Blendshapes(model: shapes.model, coefficients: state ?? shapes.coefficients)
    }
}

/// Tells when a track's eyelids may be closing, from the 68-point eye opening that every frame has, so that the
/// mesh (which runs only every k-th frame for speed) can also run on the frames of a blink: at 24 frames/s a blink
/// spans 2–10 frames and sampling every k-th frame would catch some and miss others.
///
/// A frame is a candidate when the mean eye opening (inter-ocular units) is below `dropRatio` × the track's usual
/// opening, the median of its last `window` seconds of frames (a blink is too short to move a median); the frame
/// after the last candidate is measured too, so the reopening is seen. The state is the window alone, so two runs
/// that share a window's worth of frames agree from then on (the segments of `mien batch`). dlib's eyelid points
/// follow a closing lid only part of the way, which is why the threshold is a modest drop and the blendshapes, not
/// these points, decide the blink.
public struct EyelidWatch: Sendable {
    public var dropRatio = 0.8
    public var window = 1.0
    private var recent: [(time: Double, opening: Double)] = []
    private var wasCandidate = false

    public init() {}

    /// Feeds one frame's measures; true when the mesh should run on this frame.
    public mutating func shouldMeasure(_ m: MovementMeasures, at time: Double) -> Bool {
        let opening = (m.eyeOpeningLeft + m.eyeOpeningRight) / 2
        recent.removeAll { time - $0.time > window }
        let sorted = recent.map(\.opening).sorted()
        recent.append((time, opening))
        guard sorted.count >= 3 else {
            wasCandidate = false
            return false
        }
        let usual = sorted[sorted.count / 2]
        let candidate = opening < dropRatio * usual
        defer { wasCandidate = candidate }
        return candidate || wasCandidate
    }
}
