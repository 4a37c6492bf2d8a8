/// Everything Mien reports about one face in one image or frame.
public struct FaceAnalysis: Sendable, Codable, Hashable {
    public var box: Rect
    public var score: Double
    public var landmarks: FaceLandmarks?
    public var pose: HeadPose?
    public var measures: MovementMeasures?
    /// Present only when the policy allows expression estimates and a model is loaded.
    public var expression: ExpressionEstimate?
    /// How the aligned crop was made ("landmarks" or "centred"), when one was made.
    public var alignment: String?
    /// Learned movement measures, filled by the stages that produce them (absent otherwise; `MovementSlots.swift`).
    public var blendshapes: Blendshapes?
    public var gaze: Gaze?
    public var body: BodyKeypoints?

    public init(box: Rect, score: Double, landmarks: FaceLandmarks? = nil, pose: HeadPose? = nil,
                measures: MovementMeasures? = nil, expression: ExpressionEstimate? = nil, alignment: String? = nil) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
        self.pose = pose
        self.measures = measures
        self.expression = expression
        self.alignment = alignment
    }

    private enum CodingKeys: String, CodingKey {
        case box, score, landmarks, pose, measures = "movement_measures", expression, alignment, blendshapes, gaze, body
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(box, forKey: .box)
        try c.encode((score * 1000).rounded() / 1000, forKey: .score)
        try c.encodeIfPresent(landmarks, forKey: .landmarks)
        try c.encodeIfPresent(pose, forKey: .pose)
        try c.encodeIfPresent(measures, forKey: .measures)
        try c.encodeIfPresent(expression, forKey: .expression)
        try c.encodeIfPresent(alignment, forKey: .alignment)
        try c.encodeIfPresent(blendshapes, forKey: .blendshapes)
        try c.encodeIfPresent(gaze, forKey: .gaze)
        try c.encodeIfPresent(body, forKey: .body)
    }
}
