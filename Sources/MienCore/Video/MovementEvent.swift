/// Something a face or head did over a stretch of time in one track: a nod or shake (head pose), a blink (eyelid
/// blendshapes), or a look away from the camera (iris gaze with head pose). Movement, never a judgement: a nod is not
/// agreement, a blink is not stress, looking away is not lying.
public struct MovementEvent: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// Repeated pitch swings (`HeadMotionAnalyzer`).
        case nod
        /// Repeated yaw swings.
        case shake
        /// Both eyelids closed and reopened (`BlinkDetector`).
        case blink
        /// Eyes closed for longer than a blink lasts (`BlinkDetector.maxBlinkSeconds`).
        case eyesClosed = "eyes-closed"
        /// Gaze held away from the camera (`GazeAwayDetector`).
        case gazeAway = "gaze-away"
        /// A hand held at the face (`BodyTrack`, body keypoints).
        case handToFace = "hand-to-face"
    }

    public var kind: Kind
    public var track: Int
    public var start: Double
    public var end: Double
    /// Nods and shakes: direction reversals in the pattern (a down–up–down nod has 2 swings after the first turn).
    public var swings: Int?
    /// Nods and shakes: mean peak-to-peak swing in degrees.
    public var amplitude: Double?
    /// Blinks and closed eyes: the highest eyelid closure measured (mean of `eyeBlinkLeft`/`Right`, 0…1).
    public var peakClosure: Double?
    /// Looks away: the largest angle between gaze and the camera measured, in degrees.
    public var peakOffCamera: Double?
    /// Hand at the face: which hand ("left", "right" or "both": the person's own sides).
    public var hand: String?

    public init(kind: Kind, track: Int, start: Double, end: Double, swings: Int? = nil, amplitude: Double? = nil,
                peakClosure: Double? = nil, peakOffCamera: Double? = nil, hand: String? = nil) {
        self.kind = kind
        self.track = track
        self.start = start
        self.end = end
        self.swings = swings
        self.amplitude = amplitude
        self.peakClosure = peakClosure
        self.peakOffCamera = peakOffCamera
        self.hand = hand
    }

    /// Seconds from start to end.
    public var duration: Double { end - start }

    private enum CodingKeys: String, CodingKey {
        case kind, track, start, end, swings, amplitude = "amplitude_deg", peakClosure = "peak_closure"
        case peakOffCamera = "peak_off_camera_deg", hand
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func r(_ v: Double?, _ scale: Double) -> Double? { v.map { ($0 * scale).rounded() / scale } }
        try c.encode(kind, forKey: .kind)
        try c.encode(track, forKey: .track)
        try c.encode((start * 1000).rounded() / 1000, forKey: .start)
        try c.encode((end * 1000).rounded() / 1000, forKey: .end)
        try c.encodeIfPresent(swings, forKey: .swings)
        try c.encodeIfPresent(r(amplitude, 10), forKey: .amplitude)
        try c.encodeIfPresent(r(peakClosure, 1000), forKey: .peakClosure)
        try c.encodeIfPresent(r(peakOffCamera, 10), forKey: .peakOffCamera)
        try c.encodeIfPresent(hand, forKey: .hand)
    }
}
