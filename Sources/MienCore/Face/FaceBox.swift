/// One detected face: where it is and how sure the detector was.
public struct FaceBox: Sendable, Codable, Hashable {
    public var rect: Rect
    /// The detector's own score: a probability for BlazeFace, an SVM margin for dlib HOG. Not comparable across
    /// detectors.
    public var score: Double
    /// Optional detector keypoints (BlazeFace gives 6: eyes, nose tip, mouth, ear tragions).
    public var keypoints: [Point2]
    /// The detector's own box when `rect` was re-framed for the landmark model (BlazeFace's brow-to-chin box,
    /// continuous coordinates): the face mesh crops from it as MediaPipe does.
    public var detectorRect: Rect?

    public init(rect: Rect, score: Double, keypoints: [Point2] = [], detectorRect: Rect? = nil) {
        self.rect = rect
        self.score = score
        self.keypoints = keypoints
        self.detectorRect = detectorRect
    }
}
