#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The body movement of one track over time: shoulder raise against the person's own start, gesture energy per
/// arm, and hand-to-face contact as events. Fed the body samples of the frames the body stage ran on (every K-th);
/// movement, never emotion (docs/BODY.md).
public struct BodyTrack: Sendable {
    /// Samples whose median is the person's usual shoulder height.
    public static let baselineSamples = 5
    /// A contact stays open across samples where no hand is visible (a hand over the face often hides itself: on
    /// the sample video the keypoint model's hand visibility flickers around 0.5 during 6–9 s) for this long.
    public static let contactGapSeconds = 1.0
    public let track: Int
    /// Time constant of the gesture-energy smoothing, seconds.
    public let tau: Double
    private var heights: [Double] = []
    private var previous: (time: Double, left: Point2?, right: Point2?, width: Double)?
    private var energy: (left: Double?, right: Double?) = (nil, nil)
    /// Smoothed shoulder height, tilt and lean, with the time of the last sample.
    private var smoothed: (time: Double, height: Double?, tilt: Double?, lean: Double?)?
    private var contact: (start: Double, last: Double, hands: Set<String>)?

    public init(track: Int, tau: Double = 0.4) {
        self.track = track
        self.tau = tau
    }

    /// Adds one measured body; returns it with shoulder height, tilt and lean smoothed (the same first-order filter
    /// and time constant as the gesture energy), `shoulderRaise` and gesture energy filled in, and a hand-to-face
    /// event when a contact ended at this sample.
    public mutating func update(_ body: BodyKeypoints, at time: Double) -> (BodyKeypoints, MovementEvent?) {
        var body = body
        guard body.abstained == nil, var m = body.movement else { return (body, contactUnseen(at: time)) }
        let alpha = smoothed.map { time > $0.time ? 1 - exp(-(time - $0.time) / tau) : 1 } ?? 1
        func smooth(_ old: Double?, _ new: Double?) -> Double? {
            guard let new else { return nil }
            return old.map { $0 + alpha * (new - $0) } ?? new
        }
        if let h = m.shoulderHeight, heights.count < Self.baselineSamples { heights.append(h) }
        m.shoulderHeight = smooth(smoothed?.height, m.shoulderHeight)
        m.shoulderTiltDegrees = smooth(smoothed?.tilt, m.shoulderTiltDegrees)
        m.leanDegrees = smooth(smoothed?.lean, m.leanDegrees)
        smoothed = (time, m.shoulderHeight, m.shoulderTiltDegrees, m.leanDegrees)
        if let h = m.shoulderHeight {
            // the baseline is the median of the first raw samples, so a shrug that starts early still shows
            let sorted = heights.sorted()
            m.shoulderRaise = sorted[sorted.count / 2] - h
        }
        func visibleWrist(_ side: String) -> Point2? {
            body["\(side)_wrist"].flatMap { $0.visibility >= BodyMovement.minimumVisibility ? $0.point : nil }
        }
        let width = shoulderWidth(body)
        let left = visibleWrist("left"), right = visibleWrist("right")
        if let p = previous, let width, time > p.time {
            let dt = time - p.time, scale = (width + p.width) / 2
            func speed(_ a: Point2?, _ b: Point2?) -> Double? {
                guard let a, let b else { return nil }
                return a.distance(to: b) / scale / dt
            }
            energy = (smooth(energy.left, speed(p.left, left)), smooth(energy.right, speed(p.right, right)))
        } else {
            energy = (nil, nil)
        }
        previous = width.map { (time, left, right, $0) }
        m.gestureEnergyLeft = energy.left
        m.gestureEnergyRight = energy.right
        body.movement = m

        var hands: Set<String> = []
        if m.handToFaceLeft == true { hands.insert("left") }
        if m.handToFaceRight == true { hands.insert("right") }
        if hands.isEmpty {
            // a visible hand away from the face ends a contact; no visible hand leaves it open for a while
            let away = m.handToFaceLeft == false || m.handToFaceRight == false
            return (body, away ? closeContact(at: time) : contactUnseen(at: time))
        }
        if var c = contact {
            c.last = time
            c.hands.formUnion(hands)
            contact = c
        } else {
            contact = (time, time, hands)
        }
        return (body, nil)
    }

    private mutating func contactUnseen(at time: Double) -> MovementEvent? {
        guard let c = contact, time - c.last > Self.contactGapSeconds else { return nil }
        return closeContact(at: c.last)
    }

    /// Closes an open contact (the track ended or the hand left the face at `time`).
    public mutating func closeContact(at time: Double) -> MovementEvent? {
        guard let c = contact else { return nil }
        contact = nil
        let hand = c.hands.count == 2 ? "both" : c.hands.first ?? "both"
        // the contact lasted until this sample showed it over (or the last sample that saw it, at a track's end)
        return MovementEvent(kind: .handToFace, track: track, start: c.start, end: max(c.last, time), hand: hand)
    }

    private func shoulderWidth(_ body: BodyKeypoints) -> Double? {
        guard let l = body["left_shoulder"], let r = body["right_shoulder"],
              min(l.visibility, r.visibility) >= BodyMovement.minimumVisibility else { return nil }
        let w = l.point.distance(to: r.point)
        return w > 1 ? w : nil
    }
}
