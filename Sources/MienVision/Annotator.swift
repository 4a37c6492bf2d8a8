import Foundation
import CMienVision
import MienCore

/// Draws boxes, landmarks, gaze arrows (when the mesh gave a gaze), the body's skeleton (with `--body`) and short
/// labels onto a copy of an image (for --annotate).
public struct Annotator: Sendable {
    public init() {}

    public func annotate(_ image: Image, faces: [FaceAnalysis]) -> Image? {
        guard let canvas = image.copy() else { return nil }
        let scale = max(0.4, min(1.2, Double(max(image.width, image.height)) / 1400))
        let thickness = Int32(max(1, Int((2 * scale).rounded())))
        for (i, face) in faces.enumerated() {
            let r = face.box
            mien_draw_rect(canvas.handle, Float(r.x), Float(r.y), Float(r.width), Float(r.height), 60, 200, 60,
                           thickness)
            if let l = face.landmarks {
                for p in l.points {
                    mien_draw_circle(canvas.handle, Float(p.x), Float(p.y), Float(max(1, 1.5 * scale)), 0, 220, 255, -1)
                }
            }
            GazeArrows.draw(face, on: canvas, thickness: thickness, colour: (255, 80, 220))
            BodySkeleton.draw(face, on: canvas, thickness: thickness, colour: (255, 180, 0))
            var label = "#\(i + 1)"
            if let e = face.expression {
                label += e.isUncertain ? " uncertain" : " \(e.label) \(Int((e.confidence * 100).rounded()))%"
                label += " (expression)"
            }
            if let p = face.pose {
                label += String(format: " yaw %.0f pitch %.0f", p.yaw, p.pitch)
            }
            mien_draw_label(canvas.handle, label, Float(r.x), Float(r.y - 4), 0.6 * scale, 60, 200, 60)
        }
        return canvas
    }
}
