/// A face cut out of its image by a similarity transform onto a canonical template: the classifier's input.
public struct AlignedFace: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (BGR).
    public var channels: Int
    /// Row-major bytes, width × height × channels.
    public var pixels: [UInt8]
    /// Maps image pixels to crop pixels.
    public var transform: SimilarityTransform
    /// How the crop was placed: "landmarks" (similarity fit to the template) or "centred" (no landmarks found).
    public var method: String

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], transform: SimilarityTransform,
                method: String = "landmarks") {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.transform = transform
        self.method = method
    }
}

/// Where the canonical landmarks sit in the aligned crop, in units of the crop side (0…1).
///
/// The expression model is trained on FER2013, whose 48×48 faces are framed loosely around the face, so the
/// template must reproduce *that* framing: the default positions are the mean dlib landmarks measured on FER2013
/// training faces (see docs/MEASURES.md, "Alignment template"). Only the eye centres, nose tip and mouth corners
/// are used for the fit: they are stable under expression, unlike the jaw and brows.
public struct AlignmentTemplate: Sendable, Codable, Hashable {
    /// A point the fit uses: an eye centre (the mean of the eye's contour) or a named landmark.
    public enum Anchor: Sendable, Codable, Hashable {
        case rightEyeCenter, leftEyeCenter
        case point(FacePoint)
    }

    /// One anchor and its canonical position (fractions of the crop side).
    public struct Placement: Sendable, Codable, Hashable {
        public var anchor: Anchor
        public var position: Point2
        public init(_ anchor: Anchor, _ position: Point2) {
            self.anchor = anchor
            self.position = position
        }
    }

    /// The anchors used for the fit, in fit order.
    public var anchors: [Placement]
    /// Crop side in pixels and channel count; 64×64 grey by default.
    public var size: Int
    public var channels: Int

    public init(anchors: [Placement], size: Int = 64, channels: Int = 1) {
        self.anchors = anchors
        self.size = size
        self.channels = channels
    }

    /// FER2013 framing: mean of dlib's landmarks on 987 FER2013 training faces (of the first 1,500 exact rows,
    /// those where dlib's HOG found exactly one face; `mien calibrate-template --count 1500`), as fractions of the
    /// 48-pixel side, made left–right symmetric about the centre.
    public static let ferFraming = AlignmentTemplate(anchors: [
        Placement(.leftEyeCenter, Point2(0.6783, 0.3857)),
        Placement(.rightEyeCenter, Point2(0.3217, 0.3857)),
        Placement(.point(.noseTip), Point2(0.5000, 0.5812)),
        Placement(.point(.mouthRight), Point2(0.3492, 0.7655)),
        Placement(.point(.mouthLeft), Point2(0.6508, 0.7655)),
    ])

    /// The anchors moved away from the crop's centre by `factor` (> 1: the face fills more of the crop).
    public func scaled(by factor: Double) -> AlignmentTemplate {
        AlignmentTemplate(anchors: anchors.map {
            Placement($0.anchor, Point2(0.5 + ($0.position.x - 0.5) * factor, 0.5 + ($0.position.y - 0.5) * factor))
        }, size: size, channels: channels)
    }

    public func with(size: Int, channels: Int) -> AlignmentTemplate {
        AlignmentTemplate(anchors: anchors, size: size, channels: channels)
    }

    /// The transform from image pixels to crop pixels for these landmarks.
    public func transform(for landmarks: FaceLandmarks) -> SimilarityTransform? {
        var src: [Point2] = [], dst: [Point2] = []
        for placement in anchors {
            let p: Point2
            switch placement.anchor {
            case .rightEyeCenter: p = landmarks.rightEyeCenter
            case .leftEyeCenter: p = landmarks.leftEyeCenter
            case .point(let name):
                guard let found = landmarks.point(name) else { continue }
                p = found
            }
            src.append(p)
            dst.append(placement.position * Double(size))
        }
        return SimilarityTransform.fit(from: src, to: dst)
    }

    /// A transform for a face box alone (no landmarks): centre the box and scale it to the template's framing.
    public func transform(for box: Rect) -> SimilarityTransform {
        // FER2013 faces fill roughly 80% of the frame width; a detector box is about the brow-to-chin square.
        let scale = 0.8 * Double(size) / max(box.width, 1)
        let c = box.center
        return SimilarityTransform(scale: scale, rotation: 0, tx: Double(size) / 2 - c.x * scale,
                                   ty: Double(size) * 0.54 - c.y * scale)
    }
}
