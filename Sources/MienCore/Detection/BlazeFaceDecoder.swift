#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes MediaPipe BlazeFace outputs (Bazarevsky et al. 2019) into face boxes: SSD anchors, sigmoid scores,
/// weighted non-maximum suppression — the same arithmetic as MediaPipe's `SsdAnchorsCalculator`,
/// `TensorsToDetectionsCalculator` and `NonMaxSuppressionCalculator` with the face-detection graph's options.
public struct BlazeFaceDecoder: Sendable {
    public struct Config: Sendable {
        public var inputSize: Int
        /// Feature-map strides of the SSD layers; consecutive equal strides share one grid (their anchors stack).
        public var strides: [Int]
        public var minScore: Double
        public var nmsIoU: Double = 0.3
        /// Keypoints per anchor after the 4 box values (BlazeFace 6; the pose detector 4).
        public var keypointCount = 6

        /// face_detection_short_range: 128 px, 896 anchors.
        public static let shortRange = Config(inputSize: 128, strides: [8, 16, 16, 16], minScore: 0.5)
        /// face_detection_full_range: 192 px, 2304 anchors.
        public static let fullRange = Config(inputSize: 192, strides: [4], minScore: 0.6)
        /// MediaPipe's pose detector (pose_detection.tflite, the same SSD calculators): 224 px, 2254 anchors,
        /// keypoints hip centre, full-body scale point, shoulder centre, upper-body scale point (Models/POSE.md).
        public static let poseDetection = Config(inputSize: 224, strides: [8, 16, 32, 32, 32], minScore: 0.5,
                                                 keypointCount: 4)
    }

    public let config: Config
    /// (x, y) centres in 0…1; fixed anchor size 1 (MediaPipe's `fixed_anchor_size: true`).
    public let anchors: [Point2]

    public init(config: Config) {
        self.config = config
        var anchors: [Point2] = []
        var layer = 0
        while layer < config.strides.count {
            var perCell = 0
            var last = layer
            // Each layer contributes 2 anchors (aspect ratio 1 plus the interpolated scale) per cell.
            while last < config.strides.count && config.strides[last] == config.strides[layer] {
                perCell += 2
                last += 1
            }
            let stride = config.strides[layer]
            let cells = Int((Double(config.inputSize) / Double(stride)).rounded(.up))
            // The full-range model has one layer with interpolated_scale_aspect_ratio 0: one anchor per cell.
            if config.strides.count == 1 { perCell = 1 }
            for y in 0..<cells {
                for x in 0..<cells {
                    for _ in 0..<perCell {
                        anchors.append(Point2((Double(x) + 0.5) / Double(cells), (Double(y) + 0.5) / Double(cells)))
                    }
                }
            }
            layer = last
        }
        self.anchors = anchors
    }

    /// - Parameters:
    ///   - regressors: anchors × (4 + 2 × keypointCount) values (box dx, dy, w, h, then keypoints x, y) in input
    ///     pixels.
    ///   - scores: anchors raw logits.
    /// - Returns: boxes in the network's input frame, in 0…1 units.
    public func decode(regressors: [Float], scores: [Float]) -> [FaceBox] {
        let n = anchors.count, stride = 4 + 2 * config.keypointCount
        guard regressors.count >= n * stride, scores.count >= n else { return [] }
        let s = Double(config.inputSize)
        var candidates: [FaceBox] = []
        for i in 0..<n {
            let logit = max(-100, min(100, Double(scores[i])))
            let score = 1 / (1 + exp(-logit))
            guard score >= config.minScore else { continue }
            let a = anchors[i], r = i * stride
            let cx = Double(regressors[r]) / s + a.x, cy = Double(regressors[r + 1]) / s + a.y
            let w = Double(regressors[r + 2]) / s, h = Double(regressors[r + 3]) / s
            guard w > 0, h > 0 else { continue }
            let keypoints = (0..<config.keypointCount).map { k in
                Point2(Double(regressors[r + 4 + 2 * k]) / s + a.x, Double(regressors[r + 5 + 2 * k]) / s + a.y)
            }
            candidates.append(FaceBox(rect: Rect(x: cx - w / 2, y: cy - h / 2, width: w, height: h), score: score,
                                      keypoints: keypoints))
        }
        return Self.weightedNMS(candidates, iou: config.nmsIoU)
    }

    /// MediaPipe's WEIGHTED suppression: each kept box is the score-weighted mean of the boxes it absorbs, which
    /// steadies boxes from frame to frame.
    public static func weightedNMS(_ boxes: [FaceBox], iou threshold: Double) -> [FaceBox] {
        var remaining = boxes.sorted { $0.score > $1.score }
        var kept: [FaceBox] = []
        while !remaining.isEmpty {
            let best = remaining.removeFirst()
            var overlapping = [best]
            remaining = remaining.filter {
                guard $0.rect.iou(best.rect) > threshold else { return true }
                overlapping.append($0)
                return false
            }
            let total = overlapping.reduce(0) { $0 + $1.score }
            guard total > 0 else { kept.append(best); continue }
            var x = 0.0, y = 0.0, w = 0.0, h = 0.0
            var kps = [Point2](repeating: Point2(0, 0), count: best.keypoints.count)
            for b in overlapping {
                let f = b.score / total
                x += b.rect.x * f; y += b.rect.y * f; w += b.rect.width * f; h += b.rect.height * f
                for k in kps.indices where k < b.keypoints.count { kps[k] = kps[k] + b.keypoints[k] * f }
            }
            kept.append(FaceBox(rect: Rect(x: x, y: y, width: w, height: h), score: best.score, keypoints: kps))
        }
        return kept
    }
}
