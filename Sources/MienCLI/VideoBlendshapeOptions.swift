import ArgumentParser
import Mien

/// The face mesh in video (`mien video`, `mien live`, `mien bench --video`): on or off, and how often per track.
struct VideoBlendshapeOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Fit the 478-point face mesh and report its 52 blendshape coefficients, iris gaze, blinks and looks away per track (movement, not emotion; also with --measures-only).")
    var blendshapes = true

    @Option(help: ArgumentHelp(
        "Run the mesh on every Kth analysed frame of each track and carry its values in between (mesh_frame says which frame they come from). Default chosen by measurement (docs/VIDEO.md).",
        valueName: "K"))
    var blendshapesEvery = VideoOptions.defaultBlendshapesEvery

    func validate() throws {
        guard blendshapesEvery >= 1 else {
            throw ValidationError("--blendshapes-every must be at least 1 (use --no-blendshapes to turn the mesh off)")
        }
    }

    func apply(to options: inout VideoOptions) {
        options.analysis.blendshapes = blendshapes
        options.blendshapesEvery = blendshapes ? blendshapesEvery : 0
    }
}
