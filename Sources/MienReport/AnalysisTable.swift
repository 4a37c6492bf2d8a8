import Foundation
import MienCore

/// The human-readable text `mien analyze` prints by default.
public enum AnalysisTable {
    public static func render(_ analysis: ImageAnalysis) -> String {
        var lines: [String] = []
        let n = analysis.faces.count
        let what = n == 0 ? "no face found" : n == 1 ? "1 face" : "\(n) faces"
        lines.append("\(analysis.source)  \(analysis.width)×\(analysis.height)  \(what)")
        for (i, f) in analysis.faces.enumerated() {
            let b = f.box
            lines.append(String(format: "  face %d  box x=%.0f y=%.0f w=%.0f h=%.0f  detector score %.2f", i + 1,
                                b.x, b.y, b.width, b.height, f.score))
            if let p = f.pose {
                lines.append(String(format: "    head pose     yaw %+6.1f°  pitch %+6.1f°  roll %+6.1f°", p.yaw,
                                    p.pitch, p.roll))
            }
            if let m = f.measures {
                let parts = m.named.map { String(format: "%@ %.3f", $0.0, $0.1) }
                lines.append("    movement      " + parts.prefix(5).joined(separator: "  "))
                lines.append("                  " + parts.dropFirst(5).joined(separator: "  ") + "  (units: inter-ocular distance)")
            }
            if let b = f.blendshapes {
                if let reason = b.abstained {
                    lines.append("    blendshapes   none (\(reason))")
                } else {
                    let top = b.coefficients.filter { !$0.key.hasPrefix("_") }.sorted { $0.value > $1.value }.prefix(5)
                    lines.append("    blendshapes   " + top.map { String(format: "%@ %.2f", $0.key, $0.value) }
                        .joined(separator: "  ") + "  (top 5 of 52; all in --json)")
                }
            }
            if let body = f.body { lines.append("    body          " + describe(body)) }
            if let e = f.expression {
                let top = e.classes.indices.sorted { e.probabilities[$0] > e.probabilities[$1] }.prefix(3)
                let probs = top.map { String(format: "%@ %.2f", e.classes[$0], e.probabilities[$0]) }
                    .joined(separator: ", ")
                let head = e.abstainReason.map { "uncertain (\($0))" } ?? (e.isUncertain
                    ? String(format: "uncertain (top %.2f < threshold %.2f)", e.confidence, e.threshold)
                    : String(format: "%@ (confidence %.2f)", e.label, e.confidence))
                let crop = f.alignment == "centred" ? "   (crop centred: no usable landmarks)" : ""
                lines.append("    expression    \(head)   [\(probs)]\(crop)")
                lines.append(String(format: "                  valence %+.2f  arousal %+.2f (derived)   basis: %@",
                                    e.valence, e.arousal, e.basis))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line of body movement: the measures the points allowed, or why there are none.
    static func describe(_ body: BodyKeypoints) -> String {
        if let reason = body.abstained { return "none (\(reason))" }
        let visible = body.points.filter { $0.visibility >= BodyMovement.minimumVisibility }.count
        var parts = ["\(visible) of \(body.points.count) keypoints visible"]
        if let m = body.movement {
            if let v = m.shoulderHeight { parts.append(String(format: "shoulder height %.2f", v)) }
            if let v = m.shoulderTiltDegrees { parts.append(String(format: "shoulder tilt %+.1f°", v)) }
            if let v = m.leanDegrees { parts.append(String(format: "lean %+.1f°", v)) }
            let hands: [String] = [("left", m.handToFaceLeft), ("right", m.handToFaceRight)]
                .compactMap { side, on in on == true ? side : nil }
            parts.append(hands.isEmpty ? "no hand at face" : "hand at face: " + hands.joined(separator: ", "))
        }
        return parts.joined(separator: "  ")
    }
}
