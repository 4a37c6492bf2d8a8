import Foundation
import CMienVision
import MienCore

/// A face's body drawn for `--annotate` (with `--body`): lines between the main keypoints — shoulders, arms to the
/// wrists, torso to the hips, legs — and a dot on each joint. A line is drawn only when both its ends have
/// visibility ≥ `BodyMovement.minimumVisibility` (0.5, MediaPipe's own drawing threshold and the one every body
/// measure uses), so what is drawn is what the measures saw; the model's guesses for points off the picture (a
/// portrait's hips) are left out.
enum BodySkeleton {
    /// The main bones of MediaPipe Pose's 33 points (a subset of its POSE_CONNECTIONS: no face or foot detail; the
    /// face has its own landmarks and the hands end at the index finger).
    static let bones: [(String, String)] = [
        ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
        ("left_wrist", "left_index"), ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("right_wrist", "right_index"), ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
        ("left_hip", "right_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ]

    static func draw(_ face: FaceAnalysis, on image: Image, thickness: Int32, colour: (UInt8, UInt8, UInt8)) {
        guard let body = face.body, body.layout == BodyLayout.mediapipe33, !body.points.isEmpty else { return }
        func visible(_ name: String) -> BodyKeypoints.Keypoint? {
            body[name].flatMap { $0.visibility >= BodyMovement.minimumVisibility ? $0 : nil }
        }
        let (b, g, r) = colour
        var joints: Set<String> = []
        for (from, to) in bones {
            guard let p = visible(from), let q = visible(to) else { continue }
            mien_draw_line(image.handle, Float(p.x), Float(p.y), Float(q.x), Float(q.y), b, g, r, thickness)
            joints.formUnion([from, to])
        }
        for name in joints.sorted() {
            guard let p = visible(name) else { continue }
            mien_draw_circle(image.handle, Float(p.x), Float(p.y), Float(thickness) + 2, b, g, r, -1)
        }
    }
}
