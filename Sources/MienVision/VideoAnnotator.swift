import CMienVision
import MienCore

/// Draws a video frame's tracks for `--annotate`: box and track id, the smoothed expression label (or
/// "uncertain"), head pose, gaze arrows (with `--blendshapes`), the body's skeleton in the track's colour (with `--body`), and a small bar chart of the smoothed probabilities
/// beside the face.
public struct VideoAnnotator: Sendable {
    public init() {}

    /// A colour per track id, so a person keeps their colour through the video (BGR).
    static func colour(_ id: Int) -> (UInt8, UInt8, UInt8) {
        let palette: [(UInt8, UInt8, UInt8)] = [(60, 200, 60), (255, 160, 40), (40, 160, 255), (200, 60, 200),
                                                (60, 220, 220), (120, 120, 255)]
        return palette[(id - 1) % palette.count]
    }

    /// Draws onto `image` in place (the frame is not used afterwards).
    public func draw(_ frame: VideoFrameResult, on image: Image) {
        let h = image.handle
        let scale = max(0.4, min(1.0, Double(max(image.width, image.height)) / 1280))
        let thickness = Int32(max(1, Int((2 * scale).rounded())))
        for t in frame.faces {
            let r = t.face.box
            let (b, g, red) = Self.colour(t.track)
            mien_draw_rect(h, Float(r.x), Float(r.y), Float(r.width), Float(r.height), b, g, red, thickness)
            GazeArrows.draw(t.face, on: image, thickness: thickness, colour: (255, 80, 220))
            BodySkeleton.draw(t.face, on: image, thickness: thickness, colour: (b, g, red))
            var label = "#\(t.track)"
            if let e = t.smoothed {
                label += e.isUncertain ? " uncertain" : " \(e.label) \(Int((e.confidence * 100).rounded()))%"
            }
            if let p = t.face.pose { label += String(format: " yaw %.0f pitch %.0f", p.yaw, p.pitch) }
            mien_draw_label(h, label, Float(r.x), Float(r.y - 4), 0.5 * scale, b, g, red)
            guard let e = t.smoothed else { continue }
            // Bar chart: one bar per class, length ∝ smoothed probability, to the right of the box.
            let x0 = Float(r.maxX + 6), rowH = Float(max(9, 13 * scale)), barMax = Float(60 * scale)
            for (i, (name, p)) in zip(e.classes, e.probabilities).enumerated() {
                let y = Float(r.y) + Float(i) * rowH
                mien_draw_rect(h, x0, y, barMax, rowH - 2, 40, 40, 40, -1)
                mien_draw_rect(h, x0, y, max(1, barMax * Float(p)), rowH - 2, b, g, red, -1)
                mien_draw_label(h, String(name.prefix(4)), x0 + barMax + 2, y + rowH - 2, 0.32 * scale, 30, 30, 30)
            }
        }
        mien_draw_label(h, String(format: "t %.2fs  (expression estimates, not felt emotion)", frame.time), 4,
                        Float(image.height - 6), 0.45 * scale, 30, 30, 30)
    }
}
