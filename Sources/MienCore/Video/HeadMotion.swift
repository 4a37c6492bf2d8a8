#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-track head motion: angular speed of the (lightly smoothed) head pose, and nods and shakes.
///
/// Pose from 68 landmarks jitters by about a degree from frame to frame, which a frame-rate derivative would turn
/// into tens of degrees per second; so the pose is first smoothed with a 0.1 s exponential filter. A swing is a
/// reversal of pitch (nod) or yaw (shake) by at least `minSwing` degrees (hysteresis, so jitter never counts);
/// a nod or shake is at least `minSwings` swings, each within `maxSwingSeconds` of the last. Thresholds follow the
/// head-gesture literature's typical nod (≈ 5–15°, 0.3–0.6 s per swing; Kapoor & Picard 2001) and were checked on
/// the sample video.
public struct HeadMotionAnalyzer: Sendable {
    public var minSwing = 4.0
    public var minSwings = 2
    public var maxSwingSeconds = 0.8
    public var tau = 0.1
    public let track: Int

    private var smoothed: HeadPose?
    private var lastTime: Double?
    private var pitchSwings = SwingCounter()
    private var yawSwings = SwingCounter()

    public init(track: Int) { self.track = track }

    /// Feeds one frame's pose; returns the angular speed in degrees per second (nil on the first frame or after a
    /// gap) and any nod or shake that just ended.
    public mutating func update(_ pose: HeadPose, at time: Double) -> (speed: Double?, events: [MovementEvent]) {
        var speed: Double?
        if let s = smoothed, let last = lastTime, time > last, time - last <= 0.5 {
            let alpha = 1 - exp(-(time - last) / tau)
            let next = HeadPose(yaw: s.yaw + alpha * (pose.yaw - s.yaw), pitch: s.pitch + alpha * (pose.pitch - s.pitch),
                                roll: s.roll + alpha * (pose.roll - s.roll))
            let d = ((next.yaw - s.yaw) * (next.yaw - s.yaw) + (next.pitch - s.pitch) * (next.pitch - s.pitch)
                     + (next.roll - s.roll) * (next.roll - s.roll)).squareRoot()
            speed = d / (time - last)
            smoothed = next
        } else {
            smoothed = pose
        }
        lastTime = time
        guard let s = smoothed else { return (speed, []) }
        var events: [MovementEvent] = []
        if let e = pitchSwings.add(s.pitch, at: time, analyzer: self, kind: .nod) { events.append(e) }
        if let e = yawSwings.add(s.yaw, at: time, analyzer: self, kind: .shake) { events.append(e) }
        return (speed, events)
    }

    /// Closes any pattern still open (end of the track).
    public mutating func finish() -> [MovementEvent] {
        [pitchSwings.close(analyzer: self, kind: .nod), yawSwings.close(analyzer: self, kind: .shake)].compactMap { $0 }
    }
}

/// Turning points of one angle, with hysteresis, grouped into patterns.
struct SwingCounter: Sendable {
    private var direction = 0           // +1 rising, -1 falling, 0 unknown
    private var extreme: (t: Double, v: Double)?
    private var turns: [(t: Double, v: Double)] = []

    mutating func add(_ v: Double, at t: Double, analyzer a: HeadMotionAnalyzer,
                      kind: MovementEvent.Kind) -> MovementEvent? {
        var finished: MovementEvent?
        if let last = turns.last, t - last.t > a.maxSwingSeconds {
            finished = close(analyzer: a, kind: kind)
        }
        guard let e = extreme else {
            extreme = (t, v)
            return finished
        }
        if direction >= 0 && v > e.v || direction <= 0 && v < e.v {
            if direction == 0 && abs(v - e.v) >= a.minSwing { direction = v > e.v ? 1 : -1 }
            if direction != 0 { extreme = (t, v) }
            return finished
        }
        if direction != 0 && abs(v - e.v) >= a.minSwing {
            // The angle turned back from its extreme by a full swing: the extreme was a turning point.
            turns.append(e)
            direction = -direction
            extreme = (t, v)
        }
        return finished
    }

    mutating func close(analyzer a: HeadMotionAnalyzer, kind: MovementEvent.Kind) -> MovementEvent? {
        defer { turns = [] }
        // n turning points and the current extreme bound n swings.
        guard turns.count >= a.minSwings, let first = turns.first, let last = turns.last else { return nil }
        var amplitudes: [Double] = []
        for i in 1..<turns.count { amplitudes.append(abs(turns[i].v - turns[i - 1].v)) }
        let amplitude = amplitudes.isEmpty ? 0 : amplitudes.reduce(0, +) / Double(amplitudes.count)
        return MovementEvent(kind: kind, track: a.track, start: first.t, end: last.t, swings: turns.count,
                               amplitude: amplitude)
    }
}
