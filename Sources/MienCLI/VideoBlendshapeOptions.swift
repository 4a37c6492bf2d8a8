import ArgumentParser
import Mien

/// The face mesh in video (`mien video`, `mien live`): off by default (its cost would take the video path under its
/// speed budget, docs/VIDEO.md), on request every K frames per track.
struct VideoBlendshapeOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Fit the 478-point face mesh and report its 52 blendshape coefficients, iris gaze, blinks and looks away per track (movement, not emotion; also with --measures-only). Off by default in video: it costs about half the speed (docs/VIDEO.md).")
    var blendshapes = false

    @Option(help: ArgumentHelp(
        "With the mesh on (implies --blendshapes): run it on every Kth analysed frame of each track, and on blink candidates, carrying its values in between (mesh_frame says which frame they come from). Default \(VideoOptions.defaultBlendshapesEvery).",
        valueName: "K"))
    var blendshapesEvery: Int?

    func validate() throws {
        if let k = blendshapesEvery, k < 1 {
            throw ValidationError("--blendshapes-every must be at least 1 (the mesh is off unless asked for)")
        }
        if blendshapesEvery != nil, !blendshapes, CommandLine.arguments.contains("--no-blendshapes") {
            throw ValidationError("--blendshapes-every asks for the mesh and --no-blendshapes turns it off: give one")
        }
    }

    func apply(to options: inout VideoOptions) {
        let on = blendshapes || blendshapesEvery != nil
        options.analysis.blendshapes = on
        options.blendshapesEvery = on ? blendshapesEvery ?? VideoOptions.defaultBlendshapesEvery : 0
    }
}
