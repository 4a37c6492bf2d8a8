/// One detected face: where it is and how sure the detector was.
public struct FaceBox: Sendable, Codable, Hashable {
    public var rect: Rect
    /// The detector's own score: a probability for BlazeFace, an SVM margin for dlib HOG. Not comparable across
    /// detectors.
    public var score: Double
    /// Optional detector keypoints (BlazeFace gives 6: eyes, nose tip, mouth, ear tragions).
    public var keypoints: [Point2]

    public init(rect: Rect, score: Double, keypoints: [Point2] = []) {
        self.rect = rect
        self.score = score
        self.keypoints = keypoints
    }
}
