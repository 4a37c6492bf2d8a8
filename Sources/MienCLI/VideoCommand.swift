import ArgumentParser
import Foundation
import Mien

struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Follow faces through a video: tracks, smoothed expression timelines, head, face, eye and body movement.",
        discussion: """
            Writes JSONL (one line per frame, schema mien/1), CSV (one row per frame and track; columns in \
            docs/VIDEO.md), an annotated video and a self-contained HTML report. A damaged or cut-off video ends \
            cleanly with everything analysed so far written (exit code 1). Exit codes: 0 ok, 1 input failed or ended \
            early, 2 usage error.
            """)

    @Argument(help: "Video file (anything FFmpeg decodes: MP4/H.264, WebM, AVI, MOV).")
    var input: String

    @Option(help: "Analyse every Nth frame.")
    var every = 1

    @Option(help: "Analyse about this many frames per second (instead of --every).")
    var fps: Double?

    @Option(help: "Start at this time (seconds).")
    var start: Double = 0

    @Option(help: "Stop after this time (seconds).")
    var end: Double?

    @Option(help: "Follow faces by landmarks and look for new faces every K analysed frames (detection beside the analysis); a lost face is re-detected at once. 1 = detect on every frame.")
    var detectEvery = 10

    @Option(help: "Time constant of the expression smoothing, seconds (docs/VIDEO.md).")
    var smoothing = 0.4

    @Option(help: "Write one JSON line per frame here.")
    var jsonl: String?

    @Option(help: "Write one CSV row per frame and track here.")
    var csv: String?

    @Option(help: "Write the video with boxes, track ids, labels and bar charts drawn on it here (.mp4).")
    var annotate: String?

    @Option(help: "Write a self-contained HTML report here.")
    var report: String?

    @Flag(help: "Analyse the soundtrack too and put its voice timeline beside the face timeline in the report.")
    var audio = false

    @Option(help: "Name of the operator, for the notice in the report.")
    var operatorName = "The operator"

    @Option(help: "Face detector: blaze (default), blaze-full, blaze-short, hog, hog-up, haar.")
    var detector: String = AnalysisOptions.Detector.blaze.rawValue

    @Option(help: "OpenCV threads for the analysis (decoding runs on its own thread besides).")
    var threads = 1

    @Flag(help: "No progress display.")
    var quiet = false

    @OptionGroup var prior: PriorOption
    @OptionGroup var labelSet: LabelSetOption

    @OptionGroup var mesh: VideoBlendshapeOptions

    @OptionGroup var body: VideoBodyOptions

    @OptionGroup var trust: TrustOptions

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        guard detectEvery >= 1 else { throw ValidationError("--detect-every must be at least 1") }
        if let fps, fps <= 0 { throw ValidationError("--fps must be positive") }
        if let end, end <= start { throw ValidationError("--end must be after --start") }
        guard smoothing >= 0 else { throw ValidationError("--smoothing must not be negative") }
        guard AnalysisOptions.Detector(rawValue: detector) != nil else {
            throw ValidationError("unknown detector '\(detector)'")
        }
    }

    func run() throws {
        ComputeThreads.set(threads)
        try VideoAnalyzer.checkFile(URL(fileURLWithPath: input))  // before loading ~200 MB of models
        var options = VideoOptions()
        options.analysis.detector = AnalysisOptions.Detector(rawValue: detector) ?? .blaze
        options.analysis.measuresOnly = !trust.requestedOutputs.contains(.expressions)
        options.analysis.prior = prior.chosen
        options.analysis.labelSet = labelSet.chosen
        mesh.apply(to: &options)
        body.apply(to: &options)
        options.every = every
        options.targetFPS = fps
        options.start = start
        options.end = end
        options.detectEvery = detectEvery
        options.smoothingSeconds = smoothing
        options.thumbnails = report != nil
        options.deliverFrames = annotate != nil
        let analyzer = try VideoAnalyzer(options: options, governance: try trust.governance())
        var request = VideoOutputs.Request()
        request.jsonl = jsonl.map { URL(fileURLWithPath: $0) }
        request.csv = csv.map { URL(fileURLWithPath: $0) }
        request.annotate = annotate.map { URL(fileURLWithPath: $0) }
        request.report = report.map { URL(fileURLWithPath: $0) }
        request.operatorName = operatorName
        let url = URL(fileURLWithPath: input)
        if audio && report != nil { request.voice = VideoSoundtrack.timeline(for: url, video: analyzer) }

        let progress = ProgressLine(enabled: !quiet)
        var outputs: VideoOutputs?
        let result = try analyzer.analyze(.file(url), onOpen: { source in
            outputs = try VideoOutputs(request, analyzer: analyzer, fps: source.analysedFPS)
        }, onProgress: progress.show) { frame, picture in
            try outputs?.write(frame, picture: picture)
        }
        progress.clear()
        let s = result.summary
        // A video with no frame analysed still gets its (empty) files.
        if outputs == nil { outputs = try VideoOutputs(request, analyzer: analyzer, fps: 25) }
        try outputs?.finish(result, summary: s)
        print(String(format: "%@: %d frames analysed (%d decoded) in %.1f s, %.1f frames/s; %d track(s)",
                     url.lastPathComponent, s.framesAnalysed, s.framesDecoded, s.wallSeconds, s.framesPerSecond,
                     s.tracks.count))
        for t in s.tracks {
            var line = String(format: "  track #%d  %.1f–%.1f s  %d frames", t.track, t.firstTime, t.lastTime, t.frames)
            if let shares = t.labelShare, let top = shares.filter({ $0.key != "uncertain" }).max(by: { $0.value < $1.value }) {
                line += String(format: "  most frequent expression label: %@ (%.0f%%), uncertain %.0f%%", top.key,
                               top.value * 100, (shares["uncertain"] ?? 0) * 100)
            }
            line += "  nods \(t.nods), shakes \(t.shakes)"
            if let blinks = t.blinks {
                line += "  blinks \(blinks)" + (t.blinksPerMinute.map { String(format: " (%.1f/min)", $0) } ?? "")
                line += ", looks away \(t.gazeAway ?? 0)"
            }
            print(line)
        }
        if analyzer.producesExpressions {
            print("Expression labels describe facial expressions as annotators label them, not felt emotions.")
        }
        if let stopped = s.stopped {
            FileHandle.standardError.write(Data("error: \(url.path): stopped early: \(stopped). The outputs hold the \(s.framesAnalysed) frames analysed before that.\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// A one-line progress display on a terminal (frames, frames/s, ETA), or a plain line every 5 s otherwise.
// Safe to share: `calls` is touched only by the progress callback, which the analyser calls from the one
// thread that runs the video.
final class ProgressLine: @unchecked Sendable {
    let enabled: Bool
    let terminal = isatty(2) == 1
    private var calls = 0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: VideoAnalyzer.Progress) {
        guard enabled else { return }
        calls += 1
        var text = "\(p.framesAnalysed) frames analysed, \(String(format: "%.0f", p.framesPerSecond)) frames/s, t=\(String(format: "%.1f", p.time)) s"
        if p.framesExpected > 0 {
            let share = min(1, Double(p.framesDecoded) / Double(p.framesExpected))
            let rate = Double(p.framesDecoded) / max(Double(p.framesAnalysed) / max(p.framesPerSecond, 1e-9), 1e-9)
            let eta = Double(p.framesExpected - p.framesDecoded) / max(rate, 1e-9)
            let bar = String(repeating: "#", count: Int(share * 20)) + String(repeating: ".", count: 20 - Int(share * 20))
            text = "[\(bar)] \(Int(share * 100))%  " + text + String(format: ", ETA %.0f s", max(0, eta))
        }
        if terminal {
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        } else if calls % 10 == 0 {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func clear() {
        if enabled && terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
