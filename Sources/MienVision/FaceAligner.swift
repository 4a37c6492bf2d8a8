import CMienVision
import MienCore

/// Cuts aligned crops: the similarity transform from the landmarks to the template, applied by warpAffine.
public struct FaceAligner: Sendable {
    public var template: AlignmentTemplate

    public init(template: AlignmentTemplate = .ferFraming) { self.template = template }

    public func align(_ image: Image, landmarks: FaceLandmarks) throws -> AlignedFace {
        guard let t = template.transform(for: landmarks) else {
            throw AnalysisError.backend(stage: "alignment", reason: "degenerate landmarks")
        }
        return try warp(image, transform: t, method: "landmarks")
    }

    /// Fallback without landmarks: centre the detector box in the template's framing.
    public func align(_ image: Image, box: Rect) throws -> AlignedFace {
        try warp(image, transform: template.transform(for: box), method: "centred")
    }

    /// An already-cropped face scaled whole to the template size ("centred": no landmarks were usable).
    public func alignWhole(_ image: Image) throws -> AlignedFace {
        let s = Double(template.size) / Double(max(image.width, image.height))
        let t = SimilarityTransform(scale: s, rotation: 0, tx: 0.5 * s - 0.5, ty: 0.5 * s - 0.5)
        return try warp(image, transform: t, method: "centred")
    }

    func warp(_ image: Image, transform: SimilarityTransform, method: String) throws -> AlignedFace {
        let side = template.size, channels = template.channels
        var out = [UInt8](repeating: 0, count: side * side * channels)
        var err = newError()
        let ok = transform.matrix.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer {
                mien_image_warp_affine(image.handle, m.baseAddress, Int32(side), Int32(side), Int32(channels), 1,
                                       $0.baseAddress, &err)
            }
        }
        guard ok == 1 else { throw bridgeFailure(err, stage: "alignment") }
        return AlignedFace(width: side, height: side, channels: channels, pixels: out, transform: transform,
                           method: method)
    }
}

extension FaceAligner {
    /// The image scaled up by `factor` (bilinear), as a new colour image; used to bring 48-pixel dataset faces to
    /// the size dlib's detector needs.
    /// `margin` pixels of the image's replicated edge are added on every side (detectors find a face that fills
    /// the whole frame less often); pixel (x, y) lands at `upscaledTransform(factor:margin:)` of it.
    public func upscaled(_ image: Image, factor: Double, margin: Int = 0) throws -> Image {
        let side = Int((Double(max(image.width, image.height)) * factor).rounded()) + 2 * margin
        let t = Self.upscaledTransform(factor: factor, margin: margin)
        let crop = try FaceAligner(template: AlignmentTemplate(anchors: [], size: side, channels: 3))
            .warp(image, transform: t, method: "scaled")
        return try Image(pixels: crop.pixels, width: side, height: side, channels: 3)
    }

    /// Where `upscaled(_:factor:margin:)` puts each source pixel (pixel centres map to pixel centres).
    public static func upscaledTransform(factor: Double, margin: Int = 0) -> SimilarityTransform {
        SimilarityTransform(scale: factor, rotation: 0, tx: 0.5 * (factor - 1) + Double(margin),
                            ty: 0.5 * (factor - 1) + Double(margin))
    }
}
