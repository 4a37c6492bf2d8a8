/// Follows faces across frames: gives each face a track id that stays the same while it is the same face.
///
/// Association is greedy on a combined score of box overlap (IoU) and landmark distance (mean distance of the 68
/// points, in units of the track's inter-ocular distance): a pair qualifies when the boxes overlap by at least
/// `minIoU` or the landmarks lie within `maxLandmarkDistance`. Landmark distance keeps ids apart when two faces'
/// boxes overlap (one leaning behind another) and keeps them together when a fast turn shifts the box. A track
/// that finds no face survives `maxMissSeconds` before it ends, so a short occlusion does not start a new id.
public struct Tracker: Sendable {
    public struct Options: Sendable, Hashable {
        public var minIoU = 0.3
        public var maxLandmarkDistance = 0.6
        public var maxMissSeconds = 1.0
        public init() {}
    }

    /// What the tracker knows of a live track.
    public struct Track: Sendable, Hashable {
        public var id: Int
        public var rect: Rect
        public var landmarks: FaceLandmarks?
        public var firstSeen: Double
        public var lastSeen: Double
        public var hits: Int
    }

    /// A face seen in the current frame.
    public struct Observation: Sendable, Hashable {
        public var rect: Rect
        public var landmarks: FaceLandmarks?
        public init(rect: Rect, landmarks: FaceLandmarks?) {
            self.rect = rect
            self.landmarks = landmarks
        }
    }

    public var options: Options
    public private(set) var tracks: [Track] = []
    private var nextID = 1

    public init(options: Options = Options()) { self.options = options }

    /// Tracks seen in the most recent frame (the ones worth following by landmarks until the next detection).
    public func followed(at time: Double) -> [Track] { tracks.filter { $0.lastSeen == time } }

    /// Mean landmark distance in inter-ocular distances, or nil when either side has no landmarks.
    public static func landmarkDistance(_ a: FaceLandmarks?, _ b: FaceLandmarks?) -> Double? {
        guard let a, let b, a.layout == b.layout else { return nil }
        let iod = max(a.interOcularDistance, 1)
        var sum = 0.0
        for i in a.points.indices { sum += a.points[i].distance(to: b.points[i]) }
        return sum / Double(a.count) / iod
    }

    /// Assigns a track id to each observation (same order) and returns the ids of tracks that ended (not seen for
    /// longer than `maxMissSeconds`).
    public mutating func update(_ observations: [Observation], at time: Double) -> (ids: [Int], ended: [Int]) {
        var pairs: [(score: Double, track: Int, obs: Int)] = []
        for (ti, t) in tracks.enumerated() {
            for (oi, o) in observations.enumerated() {
                let iou = t.rect.iou(o.rect)
                let distance = Self.landmarkDistance(t.landmarks, o.landmarks)
                let close = distance.map { $0 <= options.maxLandmarkDistance } ?? false
                guard iou >= options.minIoU || close else { continue }
                pairs.append((iou + max(0, 1 - (distance ?? 1)), ti, oi))
            }
        }
        pairs.sort { $0.score > $1.score }
        var ids = [Int](repeating: 0, count: observations.count)
        var usedTracks = Set<Int>()
        for p in pairs where ids[p.obs] == 0 && !usedTracks.contains(p.track) {
            usedTracks.insert(p.track)
            ids[p.obs] = tracks[p.track].id
            tracks[p.track].rect = observations[p.obs].rect
            tracks[p.track].landmarks = observations[p.obs].landmarks ?? tracks[p.track].landmarks
            tracks[p.track].lastSeen = time
            tracks[p.track].hits += 1
        }
        for (oi, o) in observations.enumerated() where ids[oi] == 0 {
            let id = nextID
            nextID += 1
            tracks.append(Track(id: id, rect: o.rect, landmarks: o.landmarks, firstSeen: time, lastSeen: time, hits: 1))
            ids[oi] = id
        }
        let ended = tracks.filter { time - $0.lastSeen > options.maxMissSeconds }.map(\.id)
        tracks.removeAll { ended.contains($0.id) }
        return (ids, ended)
    }

    /// Ends every track (end of the video).
    public mutating func finish() -> [Int] {
        defer { tracks = [] }
        return tracks.map(\.id)
    }
}

extension FaceLandmarks {
    /// The box the landmark predictor expects for this face next frame, framed as `BlazeFaceDetector` frames its
    /// keypoints (side 2.3 × eye-midpoint-to-mouth distance, centred half-way between them), so boxes from
    /// detection and from tracking give the predictor the same view.
    public var followingBox: Rect {
        let eyes = Point2.mean([rightEyeCenter, leftEyeCenter])
        let mouth = Point2.mean([self[.mouthRight], self[.mouthLeft], self[.upperLipTop], self[.lowerLipBottom]])
        let side = 2.3 * eyes.distance(to: mouth)
        let c = Point2.mean([eyes, mouth])
        return Rect(x: c.x - side / 2, y: c.y - side / 2, width: side, height: side)
    }
}
