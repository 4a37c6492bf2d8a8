import CMienVision
import Foundation
import MienCore

/// MediaPipe's BlazeFace (Apache-2.0), converted to ONNX by training/blazeface/convert.py and run by OpenCV DNN.
///
/// The image is letterboxed (aspect kept, black padding) to the model's square input, the SSD outputs are decoded
/// by `BlazeFaceDecoder`, and the boxes are mapped back to image pixels. BlazeFace's box runs from the brows to
/// the chin; dlib's landmark predictor was trained on its HOG detector's slightly different box, so boxes are
/// re-framed (`landmarkFraming`) before landmarks — measured on the samples against dlib's own boxes.
public final class BlazeFaceDetector: FaceDetecting, @unchecked Sendable {
    public enum Variant: String, Sendable {
        case shortRange = "short", fullRange = "full"
    }

    public let variant: Variant
    private let decoder: BlazeFaceDecoder
    private let network: OnnxNetwork
    public var minScore: Double

    public var name: String { "blazeface-\(variant.rawValue)" }

    public init(variant: Variant = .fullRange, modelsDirectory: URL) throws {
        self.variant = variant
        let config: BlazeFaceDecoder.Config = variant == .fullRange ? .fullRange : .shortRange
        decoder = BlazeFaceDecoder(config: config)
        minScore = config.minScore
        network = try OnnxNetwork(path: modelsDirectory.appendingPathComponent("blazeface_\(variant.rawValue).onnx").path)
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
            var rect = Rect(x: o.x, y: o.y, width: f.rect.width * s / sc, height: f.rect.height * s / sc)
            rect = BlazeFaceIO.landmarkFraming(rect)
            return FaceBox(rect: rect, score: f.score, keypoints: f.keypoints.map(back))
        }
    }
}

/// Tensor names and box framing of the converted models (Models/BLAZEFACE.md).
enum BlazeFaceIO {
    static let input = "input"
    static let regressors = "regressors"
    static let scores = "classificators"

    /// Maps a BlazeFace box to the box dlib's landmark predictor expects (its HOG detector's framing).
    static func landmarkFraming(_ r: Rect) -> Rect { r }
}
