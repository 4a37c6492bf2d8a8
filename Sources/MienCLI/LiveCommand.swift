import ArgumentParser
import Dispatch
import Foundation
import Mien

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Analyse a camera, a stream URL or MJPEG on standard input as it arrives, one JSON line per frame.",
        discussion: """
            SOURCE is /dev/videoN (a camera), rtsp://… or http://… (a stream), or - (concatenated JPEGs on standard \
            input, e.g. `ffmpeg -i in.mp4 -f mjpeg - | mien live -`). When analysis falls behind, the oldest waiting \
            frame is dropped so results stay at most a couple of frames behind the source; the count of dropped \
            frames is reported at the end. A source that delivers nothing for --read-timeout seconds ends the run. \
            Ctrl-C ends it cleanly. Exit codes: 0 ok, 1 the source failed or stalled, 2 usage error.
            """)

    @Argument(help: "/dev/videoN, an RTSP/HTTP URL, or - for MJPEG on standard input.")
    var source: String

    @Option(help: "Write the JSON lines here instead of standard output.")
    var jsonl: String?

    @Option(help: "Also write one CSV row per frame and track here.")
    var csv: String?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "End when the source delivers no frame for this many seconds.")
    var readTimeout: Double = 10

    @Option(help: "Give up opening the source after this many seconds.")
    var openTimeout: Double = 10

    @Option(help: "Run the face detector every K frames and follow faces by landmarks in between.")
    var detectEvery = 10

    @Option(help: "OpenCV threads for the analysis.")
    var threads = 1

    @OptionGroup var prior: PriorOption
    @OptionGroup var labelSet: LabelSetOption

    @OptionGroup var mesh: VideoBlendshapeOptions

    @OptionGroup var body: VideoBodyOptions

    @OptionGroup var trust: TrustOptions

    func validate() throws {
        guard readTimeout > 0, openTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard detectEvery >= 1 else { throw ValidationError("--detect-every must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if case .file = VideoInput.parse(source) {
            throw ValidationError("'\(source)' is neither a camera (/dev/videoN), a URL, nor - (stdin); for a file use 'mien video'")
        }
    }

    func run() throws {
        ComputeThreads.set(threads)
        var options = VideoOptions()
        options.analysis.measuresOnly = !trust.requestedOutputs.contains(.expressions)
        options.analysis.prior = prior.chosen
        options.analysis.labelSet = labelSet.chosen
        mesh.apply(to: &options)
        body.apply(to: &options)
        options.detectEvery = detectEvery
        options.readTimeout = readTimeout
        options.openTimeout = openTimeout
        options.end = duration
        options.thumbnails = false
        options.deliverFrames = false
        let analyzer = try VideoAnalyzer(options: options, governance: try trust.governance())
        var request = VideoOutputs.Request()
        request.csv = csv.map { URL(fileURLWithPath: $0) }
        request.jsonl = jsonl.map { URL(fileURLWithPath: $0) }
        let outputs = try VideoOutputs(request, analyzer: analyzer, fps: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let interrupted = Interruption()
        let result: VideoAnalyzer.Run
        do {
            result = try analyzer.analyze(VideoInput.parse(source), shouldStop: interrupted.isSet) { frame, image in
                try outputs.write(frame, picture: image)
                if jsonl == nil {
                    FileHandle.standardOutput.write(try encoder.encode(frame) + Data("\n".utf8))
                }
            }
        } catch {
            try? outputs.finish(nil, summary: VideoSummary(source: source, width: 0, height: 0, fps: 0))
            throw error
        }
        let s = result.summary
        try outputs.finish(result, summary: s)
        FileHandle.standardError.write(Data(String(
            format: "%@: %d frames analysed, %d dropped to keep up (%.1f frames/s over %.1f s); %d track(s)\n",
            source, s.framesAnalysed, s.framesDropped, s.framesPerSecond, s.wallSeconds, s.tracks.count).utf8))
        if let stopped = s.stopped, !interrupted.isSet() {
            FileHandle.standardError.write(Data("error: \(source): \(stopped)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM end a live run cleanly instead of killing it mid-write.
// Safe to share: `set` is read and written only under `lock`; `sources` is written in `init` only.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.set = true } }
            source.resume()
            sources.append(source)
        }
    }

    func isSet() -> Bool { lock.withLock { set } }
}
