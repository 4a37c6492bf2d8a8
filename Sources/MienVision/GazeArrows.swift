import Foundation
import CMienVision
import MienCore

/// Where the eyes point, drawn for `--annotate`: an arrow from each eye along the gaze in camera coordinates
/// (eye-in-head from the irises combined with head pose, `Gaze.camera`), its length a fixed share of the face width
/// scaled by how far the gaze leaves the camera axis, so a look straight into the camera is a dot. Nothing is drawn
/// when the mesh abstained (eyes closed, face too small) or the face has no 68-point eyes to start from.
enum GazeArrows {
    static func draw(_ face: FaceAnalysis, on image: Image, thickness: Int32, colour: (UInt8, UInt8, UInt8)) {
        guard let direction = face.gaze?.camera, let landmarks = face.landmarks else { return }
        let reach = 1.2 * face.box.width
        let yaw = direction.yaw * .pi / 180, pitch = direction.pitch * .pi / 180
        // Image x grows to the right and y downwards; pitch > 0 looks up.
        let dx = reach * sin(yaw) * cos(pitch), dy = -reach * sin(pitch)
        for region in [FaceRegion.rightEye, .leftEye] {
            let eye = landmarks.points(in: region)
            guard !eye.isEmpty else { continue }
            let cx = eye.map(\.x).reduce(0, +) / Double(eye.count), cy = eye.map(\.y).reduce(0, +) / Double(eye.count)
            let (b, g, r) = colour
            mien_draw_circle(image.handle, Float(cx), Float(cy), Float(thickness) + 1, b, g, r, -1)
            guard hypot(dx, dy) >= 2 else { continue }
            let tx = cx + dx, ty = cy + dy
            mien_draw_line(image.handle, Float(cx), Float(cy), Float(tx), Float(ty), b, g, r, thickness)
            // The head of the arrow: two short strokes back from the tip, 25° either side of the shaft.
            let angle = atan2(dy, dx), head = max(4, 0.25 * hypot(dx, dy))
            for side in [-1.0, 1.0] {
                let a = angle + .pi - side * 25 * .pi / 180
                mien_draw_line(image.handle, Float(tx), Float(ty), Float(tx + head * cos(a)), Float(ty + head * sin(a)),
                               b, g, r, thickness)
            }
        }
    }
}
