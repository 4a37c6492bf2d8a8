import Foundation
import MienCore

/// The expression model: aligned 48-pixel FER-framed grey crops → ONNX (OpenCV DNN) → calibrated estimates.
///
/// All faces of an image go through one batched forward pass; with flip averaging the mirrored crops join the
/// same batch and the logits of each pair are averaged before temperature scaling.
public final class OnnxExpressionClassifier: ExpressionClassifying, Sendable {
    public let spec: ExpressionModelSpec
    public let head: ExpressionModelSpec.Head
    public let headName: String
    /// This instance's default for `classify(_:flipAverage:)` with nil (the model JSON's choice unless overridden).
    public let flipAverage: Bool
    private let network: OnnxNetwork

    public var template: AlignmentTemplate { AlignmentTemplate.ferFraming.with(size: spec.frame.size, channels: 1) }
    public var modelVersion: String { "\(spec.name)@\(spec.version)" }

    /// Loads `expression.onnx` and its JSON. `head` is "ferplus" (Mien's outputs) or "fer2013" (peer comparison).
    public init(modelURL: URL, specURL: URL, head: String = "ferplus", flipAverage: Bool? = nil) throws {
        guard FileManager.default.fileExists(atPath: specURL.path) else {
            throw AnalysisError.modelMissing(path: specURL.path, hint: "It ships beside the model in Models/.")
        }
        let spec: ExpressionModelSpec
        do {
            spec = try JSONDecoder().decode(ExpressionModelSpec.self, from: Data(contentsOf: specURL))
        } catch {
            throw AnalysisError.modelInvalid(path: specURL.path, reason: "its JSON does not match mien-model/1 "
                                             + "(\(error)). Re-export it with training/export.py.")
        }
        let problems = spec.problems()
        guard problems.isEmpty else {
            throw AnalysisError.modelInvalid(path: specURL.path, reason: problems.joined(separator: "; "))
        }
        guard let chosen = spec.heads[head] else {
            throw AnalysisError.modelInvalid(path: specURL.path, reason: "it has no head named \(head)")
        }
        self.spec = spec
        self.head = chosen
        headName = head
        self.flipAverage = flipAverage ?? spec.flipAverage ?? false
        network = try OnnxNetwork(path: modelURL.path)
        // A wrong file with the right name fails here, at load, rather than on the first face.
        _ = try logits(for: [AlignedFace(width: spec.frame.size, height: spec.frame.size, channels: 1,
                                         pixels: [UInt8](repeating: 128, count: spec.frame.size * spec.frame.size),
                                         transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0))])
    }

    /// The bundled model from Models/.
    public convenience init(modelsDirectory: URL, head: String = "ferplus", flipAverage: Bool? = nil) throws {
        try self.init(modelURL: modelsDirectory.appendingPathComponent("expression.onnx"),
                      specURL: modelsDirectory.appendingPathComponent("expression.json"), head: head,
                      flipAverage: flipAverage)
    }

    /// Temperature and abstention threshold for the current flip setting.
    public var calibration: ExpressionModelSpec.Head.Calibration { head.calibration(flipAveraged: flipAverage) }

    /// Estimates from this instance's head (`head`; "ferplus" unless made for another).
    public func classify(_ faces: [AlignedFace], flipAverage: Bool? = nil,
                         prior: ExpressionPrior = .natural) throws -> [ExpressionEstimate] {
        try estimates(faces, head: head, labels: headName == ExpressionLabelSet.intended.headName ? .intended : .perceived,
                      flipAverage: flipAverage, prior: prior)
    }

    /// Estimates in `labels`: the same network's head for that label set (one forward pass either way).
    public func classify(_ faces: [AlignedFace], flipAverage: Bool?, prior: ExpressionPrior,
                         labels: ExpressionLabelSet) throws -> [ExpressionEstimate] {
        guard let chosen = spec.heads[labels.headName] else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "it has no \(labels.headName) head, which "
                                             + "answers in the \(labels) labels")
        }
        return try estimates(faces, head: chosen, labels: labels, flipAverage: flipAverage, prior: prior)
    }

    public func classes(for labels: ExpressionLabelSet) -> [String]? { spec.heads[labels.headName]?.classes }

    private func estimates(_ faces: [AlignedFace], head: ExpressionModelSpec.Head, labels: ExpressionLabelSet,
                           flipAverage: Bool?, prior: ExpressionPrior) throws -> [ExpressionEstimate] {
        let flip = flipAverage ?? self.flipAverage
        let (c, logPrior) = try head.calibration(prior: prior, flipAveraged: flip, model: modelVersion)
        return try logits(for: faces, flip: flip, head: head).map {
            var e = ExpressionEstimate(classes: head.classes,
                                       probabilities: Calibration.softmax($0, temperature: c.temperature,
                                                                          subtractingLogPrior: logPrior),
                                       threshold: c.abstainThreshold, model: modelVersion)
            e.prior = prior.rawValue
            e.labelSet = labels.rawValue
            return e
        }
    }

    /// Raw logits of the chosen head (flip-averaged when enabled), one row per face.
    public func logits(for faces: [AlignedFace], flip: Bool? = nil) throws -> [[Float]] {
        try logits(for: faces, flip: flip, head: head)
    }

    private func logits(for faces: [AlignedFace], flip: Bool?, head: ExpressionModelSpec.Head) throws -> [[Float]] {
        guard !faces.isEmpty else { return [] }
        let flip = flip ?? flipAverage
        let w = spec.input.width, h = spec.input.height
        var batch: [Float] = []
        batch.reserveCapacity(faces.count * w * h * (flip ? 2 : 1))
        for face in faces { batch += tensor(face, mirrored: false) }
        if flip { for face in faces { batch += tensor(face, mirrored: true) } }
        let n = faces.count * (flip ? 2 : 1)
        let out = try network.forward(batch, shape: [n, 1, h, w], inputName: spec.input.name, outputs: [head.output])[0]
        let k = head.classes.count
        guard out.count == n * k else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "output \(head.output) has \(out.count) "
                                             + "values for \(n) faces, expected \(n * k)")
        }
        return (0..<faces.count).map { i in
            let row = Array(out[i * k..<(i + 1) * k])
            guard flip else { return row }
            let mirrored = out[(faces.count + i) * k..<(faces.count + i + 1) * k]
            return zip(row, mirrored).map { ($0 + $1) / 2 }
        }
    }

    /// Crop → (resize) → normalise, exactly as written in the JSON.
    func tensor(_ face: AlignedFace, mirrored: Bool) -> [Float] {
        let c = spec.frame.crop, w = spec.input.width, h = spec.input.height
        let scale = Float(spec.input.scale), mean = Float(spec.input.mean), std = Float(spec.input.std)
        var out = [Float](repeating: 0, count: w * h)
        let sx = Float(c[2]) / Float(w), sy = Float(c[3]) / Float(h)
        let fw = face.width
        for y in 0..<h {
            for x in 0..<w {
                let xx = mirrored ? w - 1 - x : x
                var v: Float
                if c[2] == w && c[3] == h {
                    v = Float(face.pixels[(c[1] + y) * fw + c[0] + xx])
                } else {
                    // Bilinear sample at pixel centres, as cv2.resize(INTER_LINEAR) does.
                    let fx = max(0, min(Float(c[2] - 1), (Float(xx) + 0.5) * sx - 0.5))
                    let fy = max(0, min(Float(c[3] - 1), (Float(y) + 0.5) * sy - 0.5))
                    let x0 = Int(fx), y0 = Int(fy), x1 = min(x0 + 1, c[2] - 1), y1 = min(y0 + 1, c[3] - 1)
                    let ax = fx - Float(x0), ay = fy - Float(y0)
                    func p(_ px: Int, _ py: Int) -> Float { Float(face.pixels[(c[1] + py) * fw + c[0] + px]) }
                    v = (p(x0, y0) * (1 - ax) + p(x1, y0) * ax) * (1 - ay) + (p(x0, y1) * (1 - ax) + p(x1, y1) * ax) * ay
                }
                out[y * w + x] = (v * scale - mean) / std
            }
        }
        return out
    }
}
