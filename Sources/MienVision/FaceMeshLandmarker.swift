import CMienVision
import Foundation
import MienCore

/// MediaPipe FaceMesh V2 (Apache-2.0: 478 points including the irises), converted to ONNX by
/// training/facemesh/convert.py and run by OpenCV DNN. Models/FACEMESH.md has the contract.
///
/// The crop follows MediaPipe's FaceLandmarker: a square of 1.5 × the BlazeFace box, centred on it, rotated so the
/// eyes are level, resized to 256 × 256 RGB/255 (`MeshCrop`; faces without a BlazeFace box are cropped from their
/// eyes and mouth). Its network serialises forwards, so the engine keeps a pool of them.
public final class FaceMeshLandmarker: Sendable {
    public static let fileName = "face_landmarks_478.onnx"
    /// Faces whose crop side would be under this many image pixels are not meshed: the 256-pixel crop would be an
    /// upscale of more than ~5×, from which the mesh gives confident but made-up detail.
    public static let minimumCropSide = 48.0
    /// MediaPipe FaceLandmarker's default `min_face_presence_confidence`.
    public static let minimumPresence = 0.5

    static let size = 256
    private let network: OnnxNetwork

    /// - Throws: `AnalysisError.modelMissing` / `.modelInvalid` naming the file (also when its outputs on a fixed
    ///   input differ from the converted model's: an altered or truncated file).
    public init(modelsDirectory: URL) throws {
        network = try OnnxNetwork(path: modelsDirectory.appendingPathComponent(Self.fileName).path)
        try selfTest()
    }

    /// The mesh of one face, or why there is none.
    public func locate(in image: Image, crop: MeshCrop) throws -> FaceMeshOutcome {
        guard crop.side >= Self.minimumCropSide else {
            return .abstained(String(format: "face too small for the mesh (crop %.0f px, needs %.0f)", crop.side,
                                     Self.minimumCropSide))
        }
        let transform = crop.transform(size: Self.size)
        var bgr = [UInt8](repeating: 0, count: Self.size * Self.size * 3)
        var err = newError()
        let ok = transform.matrix.withUnsafeBufferPointer { m in
            bgr.withUnsafeMutableBufferPointer {
                mien_image_warp_affine(image.handle, m.baseAddress, Int32(Self.size), Int32(Self.size), 3, 0,
                                       $0.baseAddress, &err)
            }
        }
        guard ok == 1 else { throw bridgeFailure(err, stage: "face mesh crop") }
        let (raw, logit) = try forward(Self.planarRGB(bgr))
        let presence = 1 / (1 + exp(-Double(logit)))
        guard presence >= Self.minimumPresence else {
            return .abstained(String(format: "the mesh found no face in the crop (presence %.2f < %.2f)", presence,
                                     Self.minimumPresence))
        }
        // model outputs are continuous crop coordinates (0…256); pixel index = continuous − 0.5 on both sides
        let back = transform.inverse
        let points = (0..<478).map { i in
            back.apply(Point2(Double(raw[3 * i]) - 0.5, Double(raw[3 * i + 1]) - 0.5))
        }
        guard let landmarks = FaceLandmarks(layout: .mesh478, points: points) else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "it did not give 478 points")
        }
        return .mesh(FaceMesh(landmarks: landmarks, presence: presence, crop: crop))
    }

    /// Landmarks [1434] (x, y, z in crop pixels) and the face-presence logit.
    func forward(_ input: [Float]) throws -> ([Float], Float) {
        let out = try network.forward(input, shape: [1, 3, Self.size, Self.size], inputName: "input",
                                      outputs: ["landmarks", "presence"])
        guard out.count == 2, out[0].count == 1434, out[1].count == 1 else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "its outputs are not FaceMesh V2's "
                                             + "(landmarks [1434], presence [1])")
        }
        return (out[0], out[1][0])
    }

    /// BGR interleaved bytes → RGB planar floats in 0…1.
    static func planarRGB(_ bgr: [UInt8]) -> [Float] {
        let n = size * size
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            out[i] = Float(bgr[3 * i + 2]) / 255
            out[n + i] = Float(bgr[3 * i + 1]) / 255
            out[2 * n + i] = Float(bgr[3 * i]) / 255
        }
        return out
    }

    /// On a uniform grey crop the converted model gives these (training/facemesh/report.json, "self_test").
    private func selfTest() throws {
        let (raw, logit) = try forward([Float](repeating: 0.5, count: 3 * Self.size * Self.size))
        let meanX = stride(from: 0, to: raw.count, by: 3).map { Double(raw[$0]) }.reduce(0, +) / 478
        let meanY = stride(from: 1, to: raw.count, by: 3).map { Double(raw[$0]) }.reduce(0, +) / 478
        guard abs(Double(logit) - -14.2037) < 0.05, abs(meanX - 128.6363) < 0.05, abs(meanY - 129.7121) < 0.05 else {
            throw AnalysisError.modelInvalid(path: network.path, reason: String(
                format: "it is not the converted FaceMesh V2 (on a grey crop: presence logit %.3f, mean point "
                + "(%.2f, %.2f); expected -14.204, (128.64, 129.71)). Restore it from the Mien checkout or rerun "
                + "training/facemesh/convert.py", Double(logit), meanX, meanY))
        }
    }
}

/// The 478-point mesh of one face.
public struct FaceMesh: Sendable, Hashable {
    /// In image pixels (pixel-index convention, as dlib's points).
    public var landmarks: FaceLandmarks
    /// The model's face-presence probability for the crop.
    public var presence: Double
    public var crop: MeshCrop
}

public enum FaceMeshOutcome: Sendable, Hashable {
    case mesh(FaceMesh)
    /// Why there is no mesh (face too small, no face in the crop).
    case abstained(String)
}

/// The square, rotated region of the image the mesh model sees.
public struct MeshCrop: Sendable, Hashable {
    /// Centre in image pixels (pixel-index convention).
    public var centre: Point2
    /// Side in image pixels.
    public var side: Double
    /// Radians; the eye line's angle from the image x axis (the crop turns by −angle to level the eyes).
    public var angle: Double

    /// MediaPipe's crop is 1.5 × the BlazeFace box; that box's side is 2.307 × the distance from the eye midpoint
    /// to the mouth keypoint on the samples (2.24–2.37; training/facemesh/meshcrop.py prints it).
    public static let sidePerEyeMouthDistance = 3.46

    public init(centre: Point2, side: Double, angle: Double) {
        self.centre = centre
        self.side = side
        self.angle = angle
    }

    /// From eye centres and a mouth centre (BlazeFace keypoints 0, 1 and 3, or the same points of a landmark fit).
    public init(rightEye: Point2, leftEye: Point2, mouth: Point2) {
        let eyes = Point2.mean([rightEye, leftEye])
        self.init(centre: Point2.mean([eyes, mouth]), side: Self.sidePerEyeMouthDistance * eyes.distance(to: mouth),
                  angle: atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x))
    }

    /// MediaPipe's crop from a BlazeFace detection: 1.5 × the longer side of the detector's own box, centred on
    /// it, turned by the eye keypoints' angle (continuous coordinates in, pixel-index convention kept).
    public init(detectorRect r: Rect, rightEye: Point2, leftEye: Point2) {
        self.init(centre: Point2(r.x + r.width / 2 - 0.5, r.y + r.height / 2 - 0.5),
                  side: 1.5 * max(r.width, r.height), angle: atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x))
    }

    /// MediaPipe's crop when the detector gave its own box and keypoints (BlazeFace); else from the keypoints'
    /// eyes and mouth; else from the 68-point fit's eyes and mouth (HOG boxes, boxes followed in video).
    public init?(box: FaceBox, landmarks: FaceLandmarks?) {
        if let r = box.detectorRect, box.keypoints.count >= 2 {
            self.init(detectorRect: r, rightEye: box.keypoints[0], leftEye: box.keypoints[1])
        } else if box.keypoints.count >= 4 {
            // BlazeFace keypoints are continuous coordinates (normalised × size); dlib's are pixel indices
            let k = box.keypoints.map { Point2($0.x - 0.5, $0.y - 0.5) }
            self.init(rightEye: k[0], leftEye: k[1], mouth: k[3])
        } else if let l = landmarks {
            let mouth = Point2.mean([l[.mouthRight], l[.mouthLeft], l[.upperLipTop], l[.lowerLipBottom]])
            self.init(rightEye: l.rightEyeCenter, leftEye: l.leftEyeCenter, mouth: mouth)
        } else {
            return nil
        }
        guard side.isFinite, side > 0 else { return nil }
    }

    /// Image → crop of `size` pixels, both in pixel-index convention: u = s·R(−angle)·(p − c) + size/2 − ½
    /// (training/facemesh/meshcrop.py `crop_matrix`, the reference the parity test checks).
    public func transform(size: Int) -> SimilarityTransform {
        let s = Double(size) / side
        let r = -angle
        let rotated = SimilarityTransform(scale: s, rotation: r, tx: 0, ty: 0).apply(centre)
        return SimilarityTransform(scale: s, rotation: r, tx: Double(size) / 2 - 0.5 - rotated.x,
                                   ty: Double(size) / 2 - 0.5 - rotated.y)
    }
}
