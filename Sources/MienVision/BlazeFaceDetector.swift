import CMienVision
import Foundation
import MienCore

/// MediaPipe's BlazeFace (Apache-2.0), converted to ONNX by training/blazeface/convert.py and run by OpenCV DNN.
///
/// The image is letterboxed (aspect kept, black padding) to the model's square input, the SSD outputs are decoded
/// by `BlazeFaceDecoder`, and the boxes are mapped back to image pixels. BlazeFace's box runs from the brows to
/// the chin; dlib's landmark predictor was trained on its HOG detector's slightly different box, so boxes are
/// re-framed (`landmarkFraming`) before landmarks — measured on the samples against dlib's own boxes.
public final class BlazeFaceDetector: FaceDetecting, Sendable {
    public enum Variant: String, Sendable {
        case shortRange = "short", fullRange = "full"
    }

    public let variant: Variant
    private let decoder: BlazeFaceDecoder
    private let network: OnnxNetwork
    public let minScore: Double

    public var name: String { "blazeface-\(variant.rawValue)" }

    public init(variant: Variant = .fullRange, modelsDirectory: URL) throws {
        self.variant = variant
        let config: BlazeFaceDecoder.Config = variant == .fullRange ? .fullRange : .shortRange
        decoder = BlazeFaceDecoder(config: config)
        minScore = config.minScore
        network = try OnnxNetwork(path: modelsDirectory.appendingPathComponent("blazeface_\(variant.rawValue).onnx").path)
        // One forward pass now: OpenCV sets the network up on its first run (tens of ms), which would otherwise land
        // on the first frame of a live stream; it also rejects a wrong file at load rather than mid-analysis.
        let size = config.inputSize
        let outputs = try network.forward([Float](repeating: 0, count: 3 * size * size), shape: [1, 3, size, size],
                                          inputName: BlazeFaceIO.input,
                                          outputs: [BlazeFaceIO.regressors, BlazeFaceIO.scores])
        guard outputs.count == 2, outputs[0].count == decoder.anchors.count * 16,
              outputs[1].count == decoder.anchors.count else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "its outputs do not match BlazeFace "
                                             + "\(variant.rawValue) range (\(decoder.anchors.count) anchors expected)")
        }
    }

    public func detect(in image: Image) throws -> [FaceBox] {
        let size = decoder.config.inputSize
        var input = [Float](repeating: 0, count: 3 * size * size)
        var scale: Float = 1, padX: Float = 0, padY: Float = 0
        var err = newError()
        guard mien_image_letterbox_rgb(image.handle, Int32(size), &input, &scale, &padX, &padY, &err) == 1 else {
            throw bridgeFailure(err, stage: "face detection")
        }
        let outputs = try network.forward(input, shape: [1, 3, size, size], inputName: BlazeFaceIO.input,
                                          outputs: [BlazeFaceIO.regressors, BlazeFaceIO.scores])
        let faces = decoder.decode(regressors: outputs[0], scores: outputs[1]).filter { $0.score >= minScore }
        let s = Double(size), sc = Double(scale), px = Double(padX), py = Double(padY)
        func back(_ p: Point2) -> Point2 { Point2((p.x * s - px) / sc, (p.y * s - py) / sc) }
        return faces.map { f in
            let o = back(Point2(f.rect.x, f.rect.y))
            let rect = Rect(x: o.x, y: o.y, width: f.rect.width * s / sc, height: f.rect.height * s / sc)
            let keypoints = f.keypoints.map(back)
            return FaceBox(rect: BlazeFaceIO.landmarkFraming(rect, keypoints: keypoints), score: f.score,
                           keypoints: keypoints, detectorRect: rect)
        }
    }
}

/// Tensor names and box framing of the converted models (Models/BLAZEFACE.md).
enum BlazeFaceIO {
    static let input = "input"
    static let regressors = "regressors"
    static let scores = "classificators"

    /// Maps a BlazeFace detection to the box dlib's landmark predictor expects (its HOG detector's framing).
    ///
    /// BlazeFace's own box varies in scale from face to face (0.83–1.06 of dlib's on the samples), while its
    /// keypoints are steady. Measured on the samples with dlib's HOG boxes: the box side is 2.1–2.4 × the distance
    /// from the eye midpoint to the mouth centre (mean 2.3), centred half-way between them (±0.07 of the side).
    static func landmarkFraming(_ r: Rect, keypoints k: [Point2]) -> Rect {
        guard k.count >= 4 else { return r }
        let eyes = Point2.mean([k[0], k[1]])
        let mouth = k[3]
        let side = 2.3 * eyes.distance(to: mouth)
        guard side > 4 else { return r }
        let c = Point2.mean([eyes, mouth])
        return Rect(x: c.x - side / 2, y: c.y - side / 2, width: side, height: side)
    }
}
