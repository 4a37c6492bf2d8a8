import Foundation
import MienCore
import MienReport
import MienStore

/// Writes a run's results as files, streaming task by task from the store.
///
/// - JSONL: one line per result document, in input order: `{"input":…,"kind":…,"result":{…}}` (the `result` is the
///   mien/1 document: an image analysis, a video frame or summary, a voice analysis), and one line
///   `{"input":…,"kind":"error","state":"failed"|"parked","error":…}` per task that did not finish.
/// - CSV: the columns of `mien video --csv` (docs/VIDEO.md) after two more, `input` and `media`: one row per face
///   per image (frame 0, time 0, track = the face's index) or per face per video frame. Voice results have no
///   face rows; they are in the JSONL export. The mesh columns (gaze, blendshapes) and the body columns (keypoints,
///   body movement) are always there, empty where a run did not ask for them (`--blendshapes`, `--body`), so every
///   export of every run has one header. An image's values are measured on its one frame: `mesh_frame` and
///   `body_frame` are 0 where it has them.
public enum BatchExport {
    public enum Format: String, Sendable { case csv, jsonl }

    public struct Summary: Sendable {
        public var tasks = 0
        public var lines = 0
        public var unfinished = 0
    }

    public static func write(_ store: any JobStore, format: Format, to url: URL) throws -> Summary {
        let writer = try LineWriter(url: url)
        defer { writer.close() }
        var summary = Summary()
        let classes = try store.manifest()?.expressionClasses
        if format == .csv {
            try writer.write((["input", "media"] + VideoCSV.header(expressionClasses: classes, blendshapes: true, body: true)).joined(separator: ","))
        }
        let decoder = JSONDecoder()
        try store.forEachTask { task, rows in
            summary.tasks += 1
            if task.state != .done {
                summary.unfinished += 1
                if format == .jsonl {
                    let error = task.state == .queued || task.state == .running ? "not analysed yet" : task.lastError ?? ""
                    try writer.write("{\"input\":\(quoted(task.input)),\"kind\":\"error\",\"state\":\"\(task.state.rawValue)\",\"error\":\(quoted(error))}")
                    summary.lines += 1
                }
                return
            }
            for row in rows {
                switch format {
                case .jsonl:
                    try writer.write("{\"input\":\(quoted(task.input)),\"kind\":\(quoted(row.kind)),\"result\":\(row.json)}")
                    summary.lines += 1
                case .csv:
                    let frame: VideoFrameResult
                    switch row.kind {
                    case "image":
                        let image = try decoder.decode(ImageAnalysis.self, from: Data(row.json.utf8))
                        frame = VideoFrameResult(frame: 0, time: 0, faces: image.faces.enumerated().map {
                            var face = TrackedFace(track: $0.offset, detected: true, face: $0.element)
                            face.meshFrame = face.face.blendshapes == nil ? nil : 0
                            face.bodyFrame = face.face.body == nil ? nil : 0
                            return face
                        })
                    case "video-frame":
                        frame = try decoder.decode(VideoFrameResult.self, from: Data(row.json.utf8))
                    default:
                        continue
                    }
                    for fields in VideoCSV.rows(frame, expressionClasses: classes, blendshapes: true, body: true) {
                        try writer.write(([task.input, row.kind == "image" ? "image" : "video"] + fields)
                            .map(csvField).joined(separator: ","))
                        summary.lines += 1
                    }
                }
            }
        }
        return summary
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
