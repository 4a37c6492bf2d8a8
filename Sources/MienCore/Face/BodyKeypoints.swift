/// Body keypoints of one person, in image pixels, in a named layout (MediaPipe Pose's 33), with the body movement
/// measures made from them (`BodyMovement`). Attached to the face whose box holds the body's nose (docs/BODY.md);
/// like `MovementMeasures`, everything here names movement, never an emotion.
public struct BodyKeypoints: Sendable, Codable, Hashable {
    public struct Keypoint: Sendable, Codable, Hashable {
        /// The layout's name for the point (`left_shoulder`, …).
        public var name: String?
        /// Image pixels (pixel-index convention, as the face landmarks).
        public var x: Double
        public var y: Double
        /// Depth relative to the hips' midpoint, in image pixels at the body's scale; smaller is nearer the camera.
        /// Coarse (the model's own estimate from one image).
        public var z: Double?
        /// The model's visibility score, 0…1: the point is in the image and not occluded.
        public var visibility: Double
        /// The model's presence score, 0…1: the point is inside the image at all.
        public var presence: Double?

        public init(name: String? = nil, x: Double, y: Double, z: Double? = nil, visibility: Double,
                    presence: Double? = nil) {
            self.name = name
            self.x = x
            self.y = y
            self.z = z
            self.visibility = visibility
            self.presence = presence
        }

        public var point: Point2 { Point2(x, y) }

        private enum CodingKeys: String, CodingKey { case name, x, y, z, visibility, presence }

        /// Pixels to 2 decimals, scores to 4: finer than the model's frame-to-frame noise, and 33 points per face
        /// per frame would otherwise dominate a JSONL file.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            func r(_ v: Double, _ scale: Double) -> Double { (v * scale).rounded() / scale }
            try c.encodeIfPresent(name, forKey: .name)
            try c.encode(r(x, 100), forKey: .x)
            try c.encode(r(y, 100), forKey: .y)
            try c.encodeIfPresent(z.map { r($0, 10) }, forKey: .z)
            try c.encode(r(visibility, 10000), forKey: .visibility)
            try c.encodeIfPresent(presence.map { r($0, 10000) }, forKey: .presence)
        }
    }

    public var layout: String
    public var points: [Keypoint]
    /// The models that produced them ("name@version"), when known.
    public var model: String?
    /// The body detector's score for this person, 0…1.
    public var score: Double?
    /// Shoulder raise, lean, hand-to-face contact (and in video gesture energy), when the points allow them.
    public var movement: BodyMovement?
    /// Why there are no points (no body found for this face, image too small), when there are none.
    public var abstained: String?

    public init(layout: String, points: [Keypoint], model: String? = nil, score: Double? = nil,
                movement: BodyMovement? = nil, abstained: String? = nil) {
        self.layout = layout
        self.points = points
        self.model = model
        self.score = score
        self.movement = movement
        self.abstained = abstained
    }

    /// No body for this face, and why.
    public static func abstained(_ reason: String, layout: String = BodyLayout.mediapipe33, model: String? = nil)
        -> BodyKeypoints {
        BodyKeypoints(layout: layout, points: [], model: model, abstained: reason)
    }

    /// The point called `name` in the layout, when present.
    public subscript(_ name: String) -> Keypoint? { points.first { $0.name == name } }
}

/// Names of body keypoint layouts.
public enum BodyLayout {
    /// MediaPipe Pose (BlazePose) landmarks, in the model's output order. "left" is the person's left.
    public static let mediapipe33 = "mediapipe-pose-33"
    public static let mediapipe33Names = [
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
        "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
        "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
        "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
        "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    ]
}
