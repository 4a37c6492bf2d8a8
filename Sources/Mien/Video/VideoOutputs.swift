import Foundation
import MienCore
import MienReport
import MienVision

/// The files a video run writes (`--jsonl`, `--csv`, `--annotate`, `--report`), fed frame by frame.
///
/// JSONL and CSV lines are written through as each frame is analysed, so a run that stops early leaves valid files
/// with every frame so far; the annotated video is finalised and the HTML report written (complete, closed) in
/// `finish`, which callers run on every path, errors included.
public final class VideoOutputs {
    // Not Sendable: one run's writers, fed from the thread that runs `VideoAnalyzer.analyze`.
    public struct Request: Sendable {
        public var jsonl: URL?
        public var csv: URL?
        public var annotate: URL?
        public var report: URL?
        /// Who runs the analysis, for the notice in the report.
        public var operatorName = "The operator"
        /// The voice timeline beside the face timeline in the report (from `mien video --audio`).
        public var voice: VoiceTimeline?
        public init() {}
    }

    public let request: Request
    private let analyzer: VideoAnalyzer
    private var jsonl: VideoJSONLWriter?
    private var csv: VideoCSVWriter?
    private var annotated: VideoWriter?
    private var timeline = VideoTimeline()
    private let fps: Double
    private let annotator = VideoAnnotator()

    public init(_ request: Request, analyzer: VideoAnalyzer, fps: Double) throws {
        self.request = request
        self.analyzer = analyzer
        self.fps = fps
        let classes = analyzer.expressionClasses
        do {
            jsonl = try request.jsonl.map { try VideoJSONLWriter(url: $0) }
            csv = try request.csv.map {
                try VideoCSVWriter(url: $0, expressionClasses: classes, blendshapes: analyzer.meshEvery > 0,
                                   body: analyzer.bodyEvery > 0)
            }
        } catch {
            throw VideoError.cannotWrite(path: request.jsonl?.path ?? request.csv?.path ?? "output",
                                         reason: "cannot create the file (\(error.localizedDescription))")
        }
    }

    public func write(_ frame: VideoFrameResult, picture: Picture?) throws {
        let image = picture?.image
        try jsonl?.write(frame)
        try csv?.write(frame)
        if request.report != nil { timeline.add(frame) }
        if let url = request.annotate, let image {
            if annotated == nil {
                annotated = try VideoWriter(url: url, fps: fps > 0 ? fps : 25, width: image.width, height: image.height)
            }
            annotator.draw(frame, on: image)
            try annotated?.write(image)
        }
    }

    /// Closes everything; writes the summary line and the report. Safe after a failed run.
    public func finish(_ run: VideoAnalyzer.Run?, summary: VideoSummary) throws {
        if let jsonl {
            try? jsonl.write(summary)
            jsonl.close()
        }
        csv?.close()
        annotated?.close()
        if let url = request.report {
            let notice = analyzer.governance.notice(operatorName: request.operatorName).sections
            let report = VideoHTMLReport(summary: summary, timeline: timeline, thumbnails: run?.thumbnails ?? [:],
                                         notice: notice, recall: analyzer.perClassRecall, voice: request.voice)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part")
            try Data(report.render().utf8).write(to: temporary)
            _ = try? FileManager.default.removeItem(at: url)
            try FileManager.default.moveItem(at: temporary, to: url)
        }
    }
}
