/// Result slots for the learned movement models that come next (a face mesh with blendshapes, iris gaze, body
/// keypoints). Empty today: a face result carries them only when a stage filled them, so `mien/1` documents stay as
/// they are. Like `MovementMeasures`, each names movement, never an emotion.

/// Coefficients of a learned facial-movement model, 0…1 each, by the model's own names (MediaPipe's 52
/// blendshapes: `browDownLeft`, `jawOpen`, `mouthSmileLeft`, …).
public struct Blendshapes: Sendable, Codable, Hashable {
    /// The model that produced them ("name@version").
    public var model: String
    /// Empty when the model abstained (`abstained` says why).
    public var coefficients: [String: Double]
    /// Why no coefficients are given (face too small for the mesh, no face in the mesh crop), when none are.
    public var abstained: String?

    public init(model: String, coefficients: [String: Double], abstained: String? = nil) {
        self.model = model
        self.coefficients = coefficients
        self.abstained = abstained
    }

    /// The coefficient of `name`; nil when the model has no such coefficient or abstained.
    public subscript(_ name: String) -> Double? { coefficients[name] }
}

/// Where the eyes point, in degrees. Eye-in-head angles come from the iris landmarks; `camera` adds head pose.
public struct Gaze: Sendable, Codable, Hashable {
    public struct Direction: Sendable, Codable, Hashable {
        /// > 0: toward the image's right; pitch > 0: up.
        public var yaw: Double
        public var pitch: Double
        public init(yaw: Double, pitch: Double) {
            self.yaw = yaw
            self.pitch = pitch
        }
    }

    public var left: Direction?
    public var right: Direction?
    /// Both eyes combined, relative to the head.
    public var combined: Direction?
    /// Relative to the camera (eye-in-head combined with head pose).
    public var camera: Direction?
    /// Why no direction is given (eyes closed, occluded, face too small), when none is.
    public var abstained: String?

    public init(left: Direction? = nil, right: Direction? = nil, combined: Direction? = nil, camera: Direction? = nil,
                abstained: String? = nil) {
        self.left = left
        self.right = right
        self.combined = combined
        self.camera = camera
        self.abstained = abstained
    }
}

// Body keypoints and their movement measures: BodyKeypoints.swift.
