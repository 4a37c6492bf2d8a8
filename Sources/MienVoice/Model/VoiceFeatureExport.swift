import Foundation

/// Writes each speech segment's raw log-mel frames (float32, frame-major, `n_mels` per frame) to one binary file
/// plus a JSON-lines index, so training reads exactly the features Swift computes (training/voice/ reads them).
public final class VoiceFeatureExport {
    public let recipe: LogMelRecipe
    private let data: FileHandle
    private let index: FileHandle
    private var offset = 0  // in floats

    public init(directory: URL, recipe: LogMelRecipe = LogMelRecipe()) throws {
        self.recipe = recipe
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dataURL = directory.appendingPathComponent("logmel.f32")
        let indexURL = directory.appendingPathComponent("index.jsonl")
        FileManager.default.createFile(atPath: dataURL.path, contents: nil)
        FileManager.default.createFile(atPath: indexURL.path, contents: nil)
        data = try FileHandle(forWritingTo: dataURL)
        index = try FileHandle(forWritingTo: indexURL)
        let recipeJSON = try JSONEncoder().encode(recipe)
        try recipeJSON.write(to: directory.appendingPathComponent("recipe.json"))
    }

    deinit {
        try? data.close()
        try? index.close()
    }

    /// Analyses `path` (prosody only) and appends its segments; returns how many were written.
    @discardableResult
    public func add(path: String, options: SegmentationOptions = SegmentationOptions()) throws -> Int {
        var rows: [(SpeechSegmentFrames, Int)] = []
        let pipeline = VoicePipeline(model: nil, options: options) { [self] s, _ in
            s.logMel.withUnsafeBufferPointer { data.write(Data(buffer: $0)) }
            rows.append((s, offset))
            offset += s.logMel.count
        }
        _ = try pipeline.analyze(path: path)
        for (i, (s, off)) in rows.enumerated() {
            let line: [String: Any] = ["file": path, "segment": i, "start_frame": s.startFrame,
                                       "frames": s.frames.count, "offset": off]
            index.write(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]))
            index.write(Data("\n".utf8))
        }
        return rows.count
    }
}
