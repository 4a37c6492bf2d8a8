import CMienVision
import Foundation
import MienCore

/// MediaPipe Pose (BlazePose GHUM 3D "full", Apache-2.0): a person detector and a 33-keypoint landmark model,
/// converted to ONNX by training/pose/convert.py and run by OpenCV DNN. Models/POSE.md has the contract;
/// training/pose/pose.py is the reference these steps reproduce (checked by `BodyLandmarkerTests`).
///
/// detect (224 × 224 letterbox, SSD anchors, weighted NMS) → per person a rotated square around the hips, sized by
/// the detector's body keypoints → 256 × 256 crop → 39 points, refined by the heatmap → first 33 in image pixels.
/// Its networks serialise forwards, so the engine keeps a pool of them.
public final class BodyLandmarker: Sendable {
    public static let detectorFileName = "pose_detection.onnx"
    public static let landmarkFileName = "pose_landmark_full.onnx"
    public static let modelVersion = "mediapipe-pose-full@0.10.21"
    /// Bodies whose crop side would be under this many image pixels are not located: the 256-pixel crop would be
    /// an upscale of more than ~4× (a few pixels per limb).
    public static let minimumCropSide = 64.0
    /// MediaPipe's threshold on the landmark model's pose flag (a person is in the crop).
    public static let minimumPoseFlag = 0.5
    /// Images under this side cannot hold a body the detector's 224-pixel input resolves.
    public static let minimumImageSide = 32

    static let cropSize = 256
    static let heatmapSize = 64
    static let modelPoints = 39
    private let decoder = BlazeFaceDecoder(config: .poseDetection)
    private let detector: OnnxNetwork
    private let landmarker: OnnxNetwork

    /// - Throws: `AnalysisError.modelMissing` / `.modelInvalid` naming the file (also when its outputs on a fixed
    ///   input differ from the converted model's: an altered or truncated file).
    public init(modelsDirectory: URL) throws {
        let detector = try OnnxNetwork(path: modelsDirectory.appendingPathComponent(Self.detectorFileName).path)
        try Self.checkDetector(detector, decoder: BlazeFaceDecoder(config: .poseDetection))
        let landmarker = try OnnxNetwork(path: modelsDirectory.appendingPathComponent(Self.landmarkFileName).path)
        try Self.checkLandmarker(landmarker)
        self.detector = detector
        self.landmarker = landmarker
    }

    /// Every person the detector finds (best first, at most `maxPeople`), with their 33 keypoints.
    public func people(in image: Image, maxPeople: Int = 4) throws -> BodyOutcome {
        guard min(image.width, image.height) >= Self.minimumImageSide else {
            return .abstained(String(format: "image too small for body keypoints (%d × %d px, needs %d on each side)",
                                     image.width, image.height, Self.minimumImageSide))
        }
        var people: [BodyPose] = []
        var reasons: [String] = []
        for detection in try detect(in: image).prefix(maxPeople) {
            switch try landmarks(in: image, detection: detection) {
            case .success(let person): people.append(person)
            case .failure(let why): reasons.append(why.reason)
            }
        }
        if people.isEmpty {
            return .abstained(reasons.first ?? "no body found in the image")
        }
        return .people(people)
    }

    /// A second look for one face's body: the detector on the region where that face's body would be (3 face widths
    /// either side of its centre, from one face height above it to five below), at the image's own resolution. In a
    /// group photo the whole-image pass finds the most prominent person only (the detector was made for one person
    /// near the camera, and at 224 px the others are small).
    public func people(in image: Image, around face: Rect) throws -> BodyOutcome {
        let x0 = max(0, Int((face.center.x - 3 * face.width).rounded(.down)))
        let y0 = max(0, Int((face.y - face.height).rounded(.down)))
        let x1 = min(image.width, Int((face.center.x + 3 * face.width).rounded(.up)))
        let y1 = min(image.height, Int((face.maxY + 5 * face.height).rounded(.up)))
        let w = x1 - x0, h = y1 - y0
        guard w >= Self.minimumImageSide, h >= Self.minimumImageSide else {
            return .abstained("the region below this face is too small for body keypoints")
        }
        // a pure shift by whole pixels, so region coordinates + (x0, y0) are image coordinates in either convention
        var bgr = [UInt8](repeating: 0, count: w * h * 3)
        var err = newError()
        let shift: [Double] = [1, 0, -Double(x0), 0, 1, -Double(y0)]
        let ok = shift.withUnsafeBufferPointer { m in
            bgr.withUnsafeMutableBufferPointer {
                mien_image_warp_affine(image.handle, m.baseAddress, Int32(w), Int32(h), 3, 0, $0.baseAddress, &err)
            }
        }
        guard ok == 1 else { throw bridgeFailure(err, stage: "body region crop") }
        switch try people(in: try Image(pixels: bgr, width: w, height: h, channels: 3), maxPeople: 1) {
        case .abstained(let reason): return .abstained(reason)
        case .people(let found): return .people(found.map { $0.shifted(by: Point2(Double(x0), Double(y0))) })
        }
    }

    /// The detector's people in image pixels: box and 4 keypoints (hip centre, full-body scale point, shoulder
    /// centre, upper-body scale point).
    func detect(in image: Image) throws -> [FaceBox] {
        let size = decoder.config.inputSize
        var input = [Float](repeating: 0, count: 3 * size * size)
        var scale: Float = 1, padX: Float = 0, padY: Float = 0
        var err = newError()
        guard mien_image_letterbox_rgb(image.handle, Int32(size), &input, &scale, &padX, &padY, &err) == 1 else {
            throw bridgeFailure(err, stage: "body detection")
        }
        let out = try detectorForward(input)
        let s = Double(size), sc = Double(scale), px = Double(padX), py = Double(padY)
        func back(_ p: Point2) -> Point2 { Point2((p.x * s - px) / sc, (p.y * s - py) / sc) }
        return decoder.decode(regressors: out.0, scores: out.1).map { d in
            let o = back(Point2(d.rect.x, d.rect.y))
            return FaceBox(rect: Rect(x: o.x, y: o.y, width: d.rect.width * s / sc, height: d.rect.height * s / sc),
                           score: d.score, keypoints: d.keypoints.map(back))
        }
    }

    struct Refusal: Error {
        var reason: String
    }

    /// Video: the same person on a later frame, cropped from their last keypoints instead of a new detection
    /// (MediaPipe's tracking mode: the region from auxiliary landmarks 33 and 34, as the detector's keypoints 0 and
    /// 1), which saves the detector's forward pass. nil when the model no longer sees a person there.
    public func follow(in image: Image, previous: BodyPose) throws -> BodyPose? {
        guard previous.auxiliary.count >= 2 else { return nil }
        let crop = BodyCrop(hipCentre: previous.auxiliary[0], scalePoint: previous.auxiliary[1])
        guard case .success(let pose) = try landmarks(in: image, crop: crop, score: previous.score,
                                                      box: previous.box) else { return nil }
        return pose
    }

    func landmarks(in image: Image, detection: FaceBox) throws -> Result<BodyPose, Refusal> {
        guard detection.keypoints.count >= 2 else { return .failure(Refusal(reason: "the detector gave no keypoints")) }
        let crop = BodyCrop(hipCentre: detection.keypoints[0], scalePoint: detection.keypoints[1])
        return try landmarks(in: image, crop: crop, score: detection.score, box: detection.rect)
    }

    private func landmarks(in image: Image, crop: BodyCrop, score: Double, box: Rect) throws
        -> Result<BodyPose, Refusal> {
        guard crop.side >= Self.minimumCropSide else {
            return .failure(Refusal(reason: String(format: "body too small for keypoints (crop %.0f px, needs %.0f)",
                                                   crop.side, Self.minimumCropSide)))
        }
        let n = Self.cropSize
        let toImage = crop.cropToImage(size: n)
        var bgr = [UInt8](repeating: 0, count: n * n * 3)
        var err = newError()
        let ok = toImage.inverse.matrix.withUnsafeBufferPointer { m in
            bgr.withUnsafeMutableBufferPointer {
                mien_image_warp_affine(image.handle, m.baseAddress, Int32(n), Int32(n), 3, 0, $0.baseAddress, &err)
            }
        }
        guard ok == 1 else { throw bridgeFailure(err, stage: "body keypoint crop") }
        let (raw, flag, heatmap) = try landmarkForward(FaceMeshLandmarker.planarRGB(bgr))
        guard Double(flag) >= Self.minimumPoseFlag else {
            return .failure(Refusal(reason: String(format: "the keypoint model found no person in the crop "
                                                   + "(pose flag %.2f < %.2f)", flag, Self.minimumPoseFlag)))
        }
        let refined = Self.refine(raw, heatmap: heatmap)
        let names = BodyLayout.mediapipe33Names
        // MediaPipe's projection applies the crop matrix to the model's (continuous) output; −0.5 takes its
        // coordinates to Mien's pixel-index convention
        let points = names.indices.map { i in
            let p = toImage.apply(refined[i])
            return BodyKeypoints.Keypoint(name: names[i], x: p.x - 0.5, y: p.y - 0.5,
                                          z: Double(raw[5 * i + 2]) / Double(n) * crop.side,
                                          visibility: Self.sigmoid(raw[5 * i + 3]),
                                          presence: Self.sigmoid(raw[5 * i + 4]))
        }
        // the 6 auxiliary points in MediaPipe's coordinates, for the next frame's region (`follow`)
        let auxiliary = (names.count..<Self.modelPoints).map { toImage.apply(refined[$0]) }
        return .success(BodyPose(score: score, box: box, crop: crop, poseFlag: Double(flag), keypoints: points,
                                 auxiliary: auxiliary))
    }

    /// MediaPipe's RefineLandmarksFromHeatmapCalculator (kernel 7, min confidence 0.5): each point moves to the
    /// sigmoid-weighted mean of the heatmap cells around it when the best of them is confident. Crop pixels.
    static func refine(_ raw: [Float], heatmap: [Float]) -> [Point2] {
        let h = heatmapSize, c = modelPoints, offset = 3
        return (0..<modelPoints).map { i in
            let x = Double(raw[5 * i]), y = Double(raw[5 * i + 1])
            let col = Int(x / Double(cropSize) * Double(h)), row = Int(y / Double(cropSize) * Double(h))
            guard col >= 0, row >= 0, col < h, row < h else { return Point2(x, y) }
            var sum = 0.0, best = 0.0, wx = 0.0, wy = 0.0
            for r in max(0, row - offset)..<min(h, row + offset + 1) {
                for k in max(0, col - offset)..<min(h, col + offset + 1) {
                    let conf = sigmoid(heatmap[(r * h + k) * c + i])
                    sum += conf
                    best = max(best, conf)
                    wx += Double(k) * conf
                    wy += Double(r) * conf
                }
            }
            guard best >= 0.5, sum > 0 else { return Point2(x, y) }
            return Point2(wx / sum / Double(h) * Double(cropSize), wy / sum / Double(h) * Double(cropSize))
        }
    }

    static func sigmoid(_ x: Float) -> Double { 1 / (1 + exp(-max(-100, min(100, Double(x))))) }

    private func detectorForward(_ input: [Float]) throws -> ([Float], [Float]) {
        try Self.detectorForward(detector, decoder: decoder, input)
    }

    private static func detectorForward(_ detector: OnnxNetwork, decoder: BlazeFaceDecoder,
                                        _ input: [Float]) throws -> ([Float], [Float]) {
        let size = decoder.config.inputSize
        let out = try detector.forward(input, shape: [1, 3, size, size], inputName: "input",
                                       outputs: ["regressors", "classificators"])
        let n = decoder.anchors.count
        guard out.count == 2, out[0].count == n * 12, out[1].count == n else {
            throw AnalysisError.modelInvalid(path: detector.path, reason: "its outputs are not the pose detector's "
                                             + "(regressors [\(n) × 12], classificators [\(n)])")
        }
        return (out[0], out[1])
    }

    private func landmarkForward(_ input: [Float]) throws -> ([Float], Float, [Float]) {
        try Self.landmarkForward(landmarker, input)
    }

    private static func landmarkForward(_ landmarker: OnnxNetwork, _ input: [Float]) throws
        -> ([Float], Float, [Float]) {
        let n = Self.cropSize
        let out = try landmarker.forward(input, shape: [1, 3, n, n], inputName: "input",
                                         outputs: ["landmarks", "pose_flag", "heatmap"])
        let h = Self.heatmapSize
        guard out.count == 3, out[0].count == Self.modelPoints * 5, out[1].count == 1,
              out[2].count == h * h * Self.modelPoints else {
            throw AnalysisError.modelInvalid(path: landmarker.path, reason: "its outputs are not BlazePose's "
                                             + "(landmarks [195], pose_flag [1], heatmap [64 × 64 × 39])")
        }
        return (out[0], out[1][0], out[2])
    }

    /// Fixed inputs give these values with the converted models (training/pose/report.json, "self_test"). Each
    /// file is checked as soon as it is loaded, so an error names the file that is wrong.
    private static func checkDetector(_ detector: OnnxNetwork, decoder: BlazeFaceDecoder) throws {
        let d = decoder.config.inputSize
        let (reg, logits) = try detectorForward(detector, decoder: decoder, [Float](repeating: 0, count: 3 * d * d))
        let maxLogit = Double(logits.max() ?? 0)
        let meanLogit = logits.reduce(0.0) { $0 + Double($1) } / Double(logits.count)
        let meanReg = reg.reduce(0.0) { $0 + Double($1) } / Double(reg.count)
        guard abs(maxLogit - -4.5644) < 0.05, abs(meanLogit - -64.9915) < 0.05, abs(meanReg - 2.502) < 0.01 else {
            throw AnalysisError.modelInvalid(path: detector.path, reason: String(
                format: "it is not the converted pose detector (on a zero input: max logit %.3f, mean logit %.3f, "
                + "mean regressor %.3f; expected -4.564, -64.992, 2.502). Restore it from the Mien checkout or "
                + "rerun training/pose/convert.py", maxLogit, meanLogit, meanReg))
        }
    }

    private static func checkLandmarker(_ landmarker: OnnxNetwork) throws {
        let n = cropSize
        let (raw, flag, _) = try landmarkForward(landmarker, [Float](repeating: 0.5, count: 3 * n * n))
        let meanX = stride(from: 0, to: raw.count, by: 5).map { Double(raw[$0]) }.reduce(0, +) / 39
        let meanY = stride(from: 1, to: raw.count, by: 5).map { Double(raw[$0]) }.reduce(0, +) / 39
        guard abs(Double(flag) - 0.00045) < 0.001, abs(meanX - 140.5843) < 0.05, abs(meanY - 119.8744) < 0.05 else {
            throw AnalysisError.modelInvalid(path: landmarker.path, reason: String(
                format: "it is not the converted BlazePose landmark model (on a grey crop: pose flag %.5f, mean "
                + "point (%.2f, %.2f); expected 0.00045, (140.58, 119.87)). Restore it from the Mien checkout or "
                + "rerun training/pose/convert.py", flag, meanX, meanY))
        }
    }
}

/// One person: the detector's view and the 33 keypoints.
public struct BodyPose: Sendable, Hashable {
    public var score: Double
    /// The detector's box, image pixels (continuous coordinates).
    public var box: Rect
    public var crop: BodyCrop
    /// The landmark model's person-in-crop probability.
    public var poseFlag: Double
    /// `BodyLayout.mediapipe33Names` order, image pixels.
    public var keypoints: [BodyKeypoints.Keypoint]
    /// The model's 6 auxiliary points (image coordinates as MediaPipe's): 0 and 1 place the next frame's crop.
    public var auxiliary: [Point2] = []

    public var nose: Point2 { keypoints[0].point }

    /// The same pose moved by `d` pixels (a region's coordinates to the image's).
    func shifted(by d: Point2) -> BodyPose {
        var p = self
        p.box = Rect(x: box.x + d.x, y: box.y + d.y, width: box.width, height: box.height)
        p.crop.centre = crop.centre + d
        p.auxiliary = auxiliary.map { $0 + d }
        p.keypoints = keypoints.map { k in
            var k = k
            k.x += d.x
            k.y += d.y
            return k
        }
        return p
    }
}

public enum BodyOutcome: Sendable, Hashable {
    case people([BodyPose])
    /// Why there is no body (image too small, nobody found, body too small).
    case abstained(String)
}

/// The rotated square the keypoint model sees (MediaPipe's pose_detection_to_roi): centred on the hips, side
/// 2.5 × the hip-to-scale-point distance, turned so the body is upright.
public struct BodyCrop: Sendable, Hashable {
    /// Image coordinates as MediaPipe's (normalised × size, continuous).
    public var centre: Point2
    public var side: Double
    /// Radians; the crop's x axis is (cos, sin) of it in the image.
    public var rotation: Double

    /// MediaPipe's AlignmentPointsRectsCalculator (target angle 90°) + RectTransformationCalculator (scale 1.25,
    /// square_long) on the detector's keypoints 0 (hip centre) and 1 (full-body scale point).
    public init(hipCentre c: Point2, scalePoint p: Point2) {
        centre = c
        side = 2 * c.distance(to: p) * 1.25
        let r = Double.pi / 2 - atan2(-(p.y - c.y), p.x - c.x)
        rotation = r - 2 * Double.pi * ((r + Double.pi) / (2 * Double.pi)).rounded(.down)
    }

    /// Crop point → image point as MediaPipe's ImageToTensorCalculator builds it: the square's corners go to the
    /// crop's corners (0 … size), both read as OpenCV pixel indices (training/pose/pose.py `Roi.matrix`; the
    /// pixel-centre convention instead moved keypoints by a median 3–6 px more against MediaPipe).
    public func cropToImage(size: Int) -> SimilarityTransform {
        let k = side / Double(size)
        let rotate = SimilarityTransform(scale: k, rotation: rotation, tx: 0, ty: 0)
        let half = rotate.apply(Point2(Double(size) / 2, Double(size) / 2))
        return SimilarityTransform(scale: k, rotation: rotation, tx: centre.x - half.x, ty: centre.y - half.y)
    }
}
