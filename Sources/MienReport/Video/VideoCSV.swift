import Foundation
import MienCore

/// One CSV row per frame and track, with fixed, documented column names (docs/VIDEO.md), in the spirit of
/// OpenFace's FeatureExtraction output. Expression columns exist only when expressions are produced; mesh columns
/// (gaze, blendshapes as measured and smoothed, the frame they were measured on) only when the mesh runs, after
/// every other column so that a reader that indexes columns by position still finds the older ones where they were.
public enum VideoCSV {
    public static let measureNames = ["inner_brow_raise", "outer_brow_raise", "brow_lowering", "eye_opening_left",
                                      "eye_opening_right", "lip_corner_pull", "lip_corner_depression", "lip_stretch",
                                      "lips_parted", "jaw_drop"]

    /// The mesh columns: the frame the values were measured on, gaze (eye-in-head and camera), then the 52
    /// blendshapes as measured (`bs_`), smoothed (`bss_`) and relative to the track's baseline (`bsr_`), by the
    /// model's own names.
    public static let meshColumns: [String] = ["mesh_frame", "gaze_yaw", "gaze_pitch", "gaze_camera_yaw",
                                               "gaze_camera_pitch"]
        + MeshBlendshapes.names.map { "bs_" + $0 } + MeshBlendshapes.names.map { "bss_" + $0 }
        + MeshBlendshapes.names.map { "bsr_" + $0 }

    /// The body columns (`--body`): the frame the values were measured on, the detector score, the body movement
    /// measures (docs/BODY.md), then x, y and visibility of the 33 keypoints by name.
    public static let bodyColumns: [String] = ["body_frame", "body_score", "body_shoulder_height",
                                               "body_shoulder_raise", "body_shoulder_tilt", "body_lean",
                                               "body_hand_face_left", "body_hand_face_right",
                                               "body_hand_to_face_left", "body_hand_to_face_right",
                                               "body_gesture_energy_left", "body_gesture_energy_right"]
        + BodyLayout.mediapipe33Names.flatMap { ["body_\($0)_x", "body_\($0)_y", "body_\($0)_v"] }

    public static func header(expressionClasses classes: [String]?, blendshapes: Bool = false,
                              body: Bool = false) -> [String] {
        var h = ["frame", "timestamp", "track_id", "detected", "confidence", "face_x", "face_y", "face_w", "face_h",
                 "pose_yaw", "pose_pitch", "pose_roll", "head_speed", "body_motion"]
        h += measureNames
        h += measureNames.map { $0 + "_rel" }
        if let classes {
            h += ["expr_label", "expr_confidence", "expr_smooth_label", "expr_smooth_confidence"]
            h += classes.map { "p_" + $0 }
            h += classes.map { "ps_" + $0 }
            h += ["valence", "arousal", "valence_s", "arousal_s"]
        }
        h += (0..<68).map { "x_\($0)" } + (0..<68).map { "y_\($0)" }
        if blendshapes { h += meshColumns }
        if body { h += bodyColumns }
        return h
    }

    public static func rows(_ frame: VideoFrameResult, expressionClasses classes: [String]?,
                            blendshapes: Bool = false, body: Bool = false) -> [[String]] {
        func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "" }
        return frame.faces.map { t in
            let b = t.face.box
            var row = [String(frame.frame), f(frame.time, 3), String(t.track), t.detected ? "1" : "0",
                       f(t.face.score, 3), f(b.x, 1), f(b.y, 1), f(b.width, 1), f(b.height, 1),
                       f(t.face.pose?.yaw, 2), f(t.face.pose?.pitch, 2), f(t.face.pose?.roll, 2),
                       f(t.headSpeed, 2), f(t.bodyMotion, 4)]
            row += t.face.measures.map { $0.named.map { f($0.1) } } ?? Array(repeating: "", count: 10)
            row += t.relativeMeasures.map { $0.named.map { f($0.1) } } ?? Array(repeating: "", count: 10)
            if let classes {
                let e = t.face.expression, s = t.smoothed
                row += [e?.label ?? "", f(e?.confidence), s?.label ?? "", f(s?.confidence)]
                row += classes.map { f(e?.probability(of: $0)) }
                row += classes.map { f(s?.probability(of: $0)) }
                row += [f(e?.valence), f(e?.arousal), f(s?.valence), f(s?.arousal)]
            }
            let points = t.face.landmarks?.points
            row += (0..<68).map { f(points?[$0].x, 1) } + (0..<68).map { f(points?[$0].y, 1) }
            if blendshapes {
                let g = t.face.gaze, b = t.face.blendshapes, s = t.blendshapesSmoothed
                row += [t.meshFrame.map(String.init) ?? "", f(g?.combined?.yaw, 2), f(g?.combined?.pitch, 2),
                        f(g?.camera?.yaw, 2), f(g?.camera?.pitch, 2)]
                row += MeshBlendshapes.names.map { f(b?[$0]) } + MeshBlendshapes.names.map { f(s?[$0]) }
                    + MeshBlendshapes.names.map { f(t.blendshapesRelative?[$0]) }
            }
            if body { row += bodyFields(t, f) }
            return row
        }
    }
}

extension VideoCSV {
    static func bodyFields(_ t: TrackedFace, _ f: (Double?, Int) -> String) -> [String] {
        let b = t.face.body, m = b?.movement
        func flag(_ v: Bool?) -> String { v.map { $0 ? "1" : "0" } ?? "" }
        var row = [t.bodyFrame.map(String.init) ?? "", f(b?.score, 3), f(m?.shoulderHeight, 4), f(m?.shoulderRaise, 4),
                   f(m?.shoulderTiltDegrees, 2), f(m?.leanDegrees, 2), f(m?.handFaceDistanceLeft, 3),
                   f(m?.handFaceDistanceRight, 3), flag(m?.handToFaceLeft), flag(m?.handToFaceRight),
                   f(m?.gestureEnergyLeft, 4), f(m?.gestureEnergyRight, 4)]
        let points = b?.points ?? []
        for i in BodyLayout.mediapipe33Names.indices {
            let p = i < points.count ? points[i] : nil
            row += [f(p?.x, 1), f(p?.y, 1), f(p?.visibility, 3)]
        }
        return row
    }
}

/// Writes lines to a file as they come, each written through at once, so a run that stops early leaves a valid
/// file holding every frame analysed so far.
public final class LineWriter {
    private let handle: FileHandle
    public let url: URL

    public init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        self.url = url
    }

    public func write(_ line: String) throws {
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    public func close() { try? handle.close() }
}

/// `--csv`: the header, then one row per frame and track.
public final class VideoCSVWriter {
    private let writer: LineWriter
    private let classes: [String]?
    private let blendshapes: Bool
    private let body: Bool

    public init(url: URL, expressionClasses: [String]?, blendshapes: Bool = false, body: Bool = false) throws {
        writer = try LineWriter(url: url)
        classes = expressionClasses
        self.blendshapes = blendshapes
        self.body = body
        try writer.write(VideoCSV.header(expressionClasses: classes, blendshapes: blendshapes, body: body)
            .joined(separator: ","))
    }

    public func write(_ frame: VideoFrameResult) throws {
        for row in VideoCSV.rows(frame, expressionClasses: classes, blendshapes: blendshapes, body: body) {
            try writer.write(row.map(Self.escape).joined(separator: ","))
        }
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public func close() { writer.close() }
}

/// `--jsonl`: one `VideoFrameResult` per line (schema mien/1, kind "video-frame"), and a closing
/// `VideoSummary` line (kind "video-summary").
public final class VideoJSONLWriter {
    private let writer: LineWriter
    private let encoder: JSONEncoder

    public init(url: URL) throws {
        writer = try LineWriter(url: url)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func write(_ frame: VideoFrameResult) throws {
        try writer.write(String(decoding: try encoder.encode(frame), as: UTF8.self))
    }

    public func write(_ summary: VideoSummary) throws {
        try writer.write(String(decoding: try encoder.encode(summary), as: UTF8.self))
    }

    public func close() { writer.close() }
}
