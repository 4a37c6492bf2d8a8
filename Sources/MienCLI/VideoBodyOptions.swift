import ArgumentParser
import Mien

/// Body keypoints in video (`mien video`): off by default, on request every K analysed frames.
struct VideoBodyOptions: ParsableArguments {
    @Flag(help: "Find each track's body every K frames: 33 keypoints, shoulder raise, lean, hand-to-face contact events and gesture energy per arm (movement, not emotion; docs/BODY.md). Beside body_motion (optical flow), not instead of it.")
    var body = false

    @Option(help: ArgumentHelp(
        "With body keypoints on (implies --body): run them on every Kth analysed frame, carrying the values in between (body_frame says which frame they come from). Default \(VideoOptions.defaultBodyEvery).",
        valueName: "K"))
    var bodyEvery: Int?

    func validate() throws {
        if let k = bodyEvery, k < 1 {
            throw ValidationError("--body-every must be at least 1 (body keypoints are off unless asked for)")
        }
    }

    func apply(to options: inout VideoOptions) {
        let on = body || bodyEvery != nil
        options.analysis.body = on
        options.bodyEvery = on ? bodyEvery ?? VideoOptions.defaultBodyEvery : 0
    }
}
