import Foundation
import MienVision

/// How fast the voice pipeline runs on one core: decode alone, decode + prosody, decode + prosody + model.
public struct VoiceBenchmarkReport: Sendable, Codable, Hashable {
    public var file: String
    public var audioSeconds: Double
    public var repeats: Int
    /// Best-of-`repeats` wall time in seconds for each stage set.
    public var decodeSeconds: Double
    public var prosodySeconds: Double
    public var fullSeconds: Double?
    /// audioSeconds / time: ×real time (the issue asks ≥ 200 for prosody + model on one core).
    public var prosodyRealtimeFactor: Double
    public var fullRealtimeFactor: Double?
    public var segments: Int
    public var threads: Int
    public var model: String?
}

public enum VoiceBenchmark {
    /// Times the pipeline on `file`, OpenCV pinned to one thread. `modelSpec` nil times prosody only.
    public static func run(file: URL, modelSpec: URL? = nil, repeats: Int = 3) throws -> VoiceBenchmarkReport {
        VisionThreads.set(1)
        let model = try modelSpec.map { try VocalExpressionModel(specURL: $0) }
        func best(_ body: () throws -> Void) rethrows -> Double {
            var b = Double.infinity
            for _ in 0..<max(1, repeats) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return b
        }
        var samples = 0
        let decode = try best {
            let d = try AudioDecoder(path: file.path)
            samples = 0
            while case let c = try d.read(maxSamples: 16_000), !c.isEmpty { samples += c.count }
        }
        var segments = 0
        let prosody = try best { segments = try VoicePipeline(model: nil).analyze(path: file.path).segments.count }
        let full = try model.map { m in try best { _ = try VoicePipeline(model: m).analyze(path: file.path) } }
        let audio = Double(samples) / 16_000
        return VoiceBenchmarkReport(file: file.path, audioSeconds: audio, repeats: repeats, decodeSeconds: decode,
                                    prosodySeconds: prosody, fullSeconds: full,
                                    prosodyRealtimeFactor: audio / max(prosody, 1e-9),
                                    fullRealtimeFactor: full.map { audio / max($0, 1e-9) }, segments: segments,
                                    threads: 1, model: model?.spec.name)
    }
}
