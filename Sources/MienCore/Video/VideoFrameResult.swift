/// One face in one video frame, followed as track `track`.
///
/// `face` holds the raw per-frame values (box, landmarks, pose, measures and, where the purpose allows, the
/// unsmoothed expression estimate); the other fields are the temporal ones the video pipeline adds.
public struct TrackedFace: Sendable, Codable, Hashable {
    public var track: Int
    /// True when a detector found the face in this frame; false when it was followed from last frame's landmarks.
    public var detected: Bool
    public var face: FaceAnalysis
    /// Expression probabilities smoothed over time (`ExpressionSmoother`); nil when expressions are not produced.
    public var smoothed: ExpressionEstimate?
    /// Movement measures minus the track's baseline (`NeutralBaseline`), in inter-ocular distances.
    public var relativeMeasures: MovementMeasures?
    /// Angular speed of the head in degrees per second (a movement measure).
    public var headSpeed: Double?
    /// Upper-body motion energy: mean optical-flow speed in the region below the face, in face widths per second
    /// (a movement measure; camera motion counts too).
    public var bodyMotion: Double?
    /// The blendshape coefficients smoothed over time (`BlendshapeSmoother`); `face.blendshapes` and `face.gaze`
    /// hold the values as measured. Movement, not emotion.
    public var blendshapesSmoothed: Blendshapes?
    /// The blendshape coefficients minus the track's baseline (`BlendshapeBaseline`), −1…1; like `relativeMeasures`,
    /// how far the face moves from this person's resting face.
    public var blendshapesRelative: Blendshapes?
    /// The frame the mesh values (`face.blendshapes`, `face.gaze`, `blendshapesSmoothed`) were measured on: the mesh
    /// runs on every k-th frame of a track and its last values are carried in between. Equal to the frame's own
    /// index when measured on this frame; nil when there are no mesh values.
    public var meshFrame: Int?
    /// The frame `face.body` was measured on (the body stage runs every k-th frame; values are carried between).
    public var bodyFrame: Int?

    public init(track: Int, detected: Bool, face: FaceAnalysis) {
        self.track = track
        self.detected = detected
        self.face = face
    }

    private enum CodingKeys: String, CodingKey {
        case track, detected, box, score, landmarks, pose, measures = "movement_measures"
        case relative = "movement_relative", headSpeed = "head_speed_deg_s", bodyMotion = "body_motion"
        case expression, smoothed = "expression_smoothed"
        case blendshapes, blendshapesSmoothed = "blendshapes_smoothed", gaze, meshFrame = "mesh_frame"
        case blendshapesRelative = "blendshapes_relative"
        case body, bodyFrame = "body_frame"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func r(_ v: Double?) -> Double? { v.map { ($0 * 1000).rounded() / 1000 } }
        try c.encode(track, forKey: .track)
        try c.encode(detected, forKey: .detected)
        try c.encode(face.box, forKey: .box)
        try c.encode((face.score * 1000).rounded() / 1000, forKey: .score)
        try c.encodeIfPresent(face.landmarks, forKey: .landmarks)
        try c.encodeIfPresent(face.pose, forKey: .pose)
        try c.encodeIfPresent(face.measures, forKey: .measures)
        try c.encodeIfPresent(relativeMeasures, forKey: .relative)
        try c.encodeIfPresent(r(headSpeed), forKey: .headSpeed)
        try c.encodeIfPresent(r(bodyMotion), forKey: .bodyMotion)
        try c.encodeIfPresent(face.expression, forKey: .expression)
        try c.encodeIfPresent(smoothed, forKey: .smoothed)
        try c.encodeIfPresent(face.blendshapes.map(Self.rounded), forKey: .blendshapes)
        try c.encodeIfPresent(blendshapesSmoothed.map(Self.rounded), forKey: .blendshapesSmoothed)
        try c.encodeIfPresent(blendshapesRelative.map(Self.rounded), forKey: .blendshapesRelative)
        try c.encodeIfPresent(face.gaze, forKey: .gaze)
        try c.encodeIfPresent(meshFrame, forKey: .meshFrame)
        try c.encodeIfPresent(face.body, forKey: .body)
        try c.encodeIfPresent(bodyFrame, forKey: .bodyFrame)
    }

    /// Coefficients to 4 decimals: finer than the model's crop-to-crop noise (~0.01), and 52 of them per face per
    /// frame would otherwise dominate a JSONL file.
    static func rounded(_ b: Blendshapes) -> Blendshapes {
        Blendshapes(model: b.model, coefficients: b.coefficients.mapValues { ($0 * 10000).rounded() / 10000 },
                    abstained: b.abstained)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        track = try c.decode(Int.self, forKey: .track)
        detected = try c.decode(Bool.self, forKey: .detected)
        face = FaceAnalysis(box: try c.decode(Rect.self, forKey: .box), score: try c.decode(Double.self, forKey: .score),
                            landmarks: try c.decodeIfPresent(FaceLandmarks.self, forKey: .landmarks),
                            pose: try c.decodeIfPresent(HeadPose.self, forKey: .pose),
                            measures: try c.decodeIfPresent(MovementMeasures.self, forKey: .measures),
                            expression: try c.decodeIfPresent(ExpressionEstimate.self, forKey: .expression))
        smoothed = try c.decodeIfPresent(ExpressionEstimate.self, forKey: .smoothed)
        relativeMeasures = try c.decodeIfPresent(MovementMeasures.self, forKey: .relative)
        headSpeed = try c.decodeIfPresent(Double.self, forKey: .headSpeed)
        bodyMotion = try c.decodeIfPresent(Double.self, forKey: .bodyMotion)
        face.blendshapes = try c.decodeIfPresent(Blendshapes.self, forKey: .blendshapes)
        face.gaze = try c.decodeIfPresent(Gaze.self, forKey: .gaze)
        blendshapesSmoothed = try c.decodeIfPresent(Blendshapes.self, forKey: .blendshapesSmoothed)
        blendshapesRelative = try c.decodeIfPresent(Blendshapes.self, forKey: .blendshapesRelative)
        meshFrame = try c.decodeIfPresent(Int.self, forKey: .meshFrame)
        face.body = try c.decodeIfPresent(BodyKeypoints.self, forKey: .body)
        bodyFrame = try c.decodeIfPresent(Int.self, forKey: .bodyFrame)
    }
}

/// Everything Mien reports about one analysed frame: one JSONL line (schema "mien/1", kind "video-frame").
public struct VideoFrameResult: Sendable, Codable, Hashable {
    public var schema = "mien/1"
    public var kind = "video-frame"
    /// Index of the frame in the source (counting frames skipped by --every/--fps).
    public var frame: Int
    /// Seconds from the start of the video (files) or from opening the stream (live).
    public var time: Double
    public var faces: [TrackedFace]
    /// Movement events (nods, shakes, blinks, looks away) that ended at this frame.
    public var events: [MovementEvent]

    public init(frame: Int, time: Double, faces: [TrackedFace], events: [MovementEvent] = []) {
        self.frame = frame
        self.time = time
        self.faces = faces
        self.events = events
    }

    /// Faces and events in track order (events of one track keep their order): the order a frame is written in,
    /// whichever way its faces were found (a detection lists them by position, following by track), so a segmented
    /// run writes what a single run does.
    public mutating func orderByTrack() {
        faces = faces.enumerated().sorted { ($0.element.track, $0.offset) < ($1.element.track, $1.offset) }.map(\.element)
        events = events.enumerated().sorted { ($0.element.track, $0.offset) < ($1.element.track, $1.offset) }.map(\.element)
    }

    private enum CodingKeys: String, CodingKey { case schema, kind, frame, time, faces, events }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(kind, forKey: .kind)
        try c.encode(frame, forKey: .frame)
        try c.encode((time * 1000).rounded() / 1000, forKey: .time)
        try c.encode(faces, forKey: .faces)
        if !events.isEmpty { try c.encode(events, forKey: .events) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        kind = try c.decode(String.self, forKey: .kind)
        frame = try c.decode(Int.self, forKey: .frame)
        time = try c.decode(Double.self, forKey: .time)
        faces = try c.decode([TrackedFace].self, forKey: .faces)
        events = try c.decodeIfPresent([MovementEvent].self, forKey: .events) ?? []
    }
}
