import Foundation
import MienCore
import MienVision

/// The vocal-expression model's description, read from the JSON beside its ONNX file: feature recipe, input
/// layout, classes, calibration and abstain threshold. Swift reads every number from here, never from code.
public struct VocalExpressionModelSpec: Sendable, Codable, Hashable {
    public var schema: String
    public var name: String
    public var onnx: String
    public var inputName: String
    public var outputName: String
    /// Frames per model input; shorter segments are centred and padded with silence (ln(log_floor)).
    public var frames: Int
    public var features: LogMelRecipe
    /// Standardisation of log-mel values: (x − mean) / std, scalars from the training set.
    public var mean: Double
    public var std: Double
    public var classes: [String]
    public var temperature: Double
    public var abstainThreshold: Double

    enum CodingKeys: String, CodingKey {
        case schema, name, onnx, frames, features, mean, std, classes, temperature
        case inputName = "input_name", outputName = "output_name", abstainThreshold = "abstain_threshold"
    }

    /// The model input [1, 1, nMels, frames] for a segment's frame-major log-mel values.
    public func input(logMel: [Float], frameCount: Int) -> [Float] {
        let n = features.nMels
        let padValue = Float((log(features.logFloor) - mean) / std)
        var out = [Float](repeating: padValue, count: n * frames)
        let used = min(frameCount, frames)
        let srcStart = (frameCount - used) / 2
        let dstStart = (frames - used) / 2
        let m = Float(mean), s = Float(std)
        for t in 0..<used {
            let src = (srcStart + t) * n
            for b in 0..<n { out[b * frames + dstStart + t] = (logMel[src + b] - m) / s }
        }
        return out
    }
}

/// Runs the vocal-expression CNN through OpenCV DNN (MienVision.OnnxNetwork) and calibrates its output.
public final class VocalExpressionModel: Sendable {
    public let spec: VocalExpressionModelSpec
    private let network: OnnxNetwork

    /// Basis text carried by every voice estimate.
    public static let basisText = "vocal expression; not a measure of felt emotion"

    public init(specURL: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: specURL) } catch { throw VoiceError.modelMissing(path: specURL.path) }
        do { spec = try JSONDecoder().decode(VocalExpressionModelSpec.self, from: data) } catch {
            throw VoiceError.modelInvalid(path: specURL.path, reason: "unreadable JSON (\(error))")
        }
        let onnx = specURL.deletingLastPathComponent().appendingPathComponent(spec.onnx)
        guard FileManager.default.fileExists(atPath: onnx.path) else { throw VoiceError.modelMissing(path: onnx.path) }
        do { network = try OnnxNetwork(path: onnx.path) } catch {
            throw VoiceError.modelInvalid(path: onnx.path, reason: "\(error)")
        }
    }

    /// Raw logits for one model input (see `VocalExpressionModelSpec.input`).
    public func logits(input: [Float]) throws -> [Float] {
        let out = try network.forward(input, shape: [1, 1, spec.features.nMels, spec.frames],
                                      inputName: spec.inputName, outputs: [spec.outputName])
        guard let first = out.first, first.count == spec.classes.count else {
            throw VoiceError.modelInvalid(path: network.path, reason: "expected \(spec.classes.count) logits")
        }
        return first
    }

    /// Temperature-calibrated estimate, "uncertain" below the abstain threshold, with the vocal basis text.
    public func estimate(logMel: [Float], frameCount: Int) throws -> ExpressionEstimate {
        let l = try logits(input: spec.input(logMel: logMel, frameCount: frameCount))
        var e = ExpressionEstimate(classes: spec.classes,
                                   probabilities: Calibration.softmax(l, temperature: spec.temperature),
                                   threshold: spec.abstainThreshold, model: spec.name)
        e.basis = Self.basisText
        return e
    }
}
