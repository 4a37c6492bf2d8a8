import Foundation
import MienCore
import MienVision

/// Measures where dlib's landmarks fall in FER2013's 48×48 framing: the source of `AlignmentTemplate.ferFraming`
/// and of the typical neutral values in `MovementMeasures`.
///
/// Each face is up-sampled 4× (dlib's HOG needs ~80 px faces), detected with dlib HOG (only images with exactly
/// one face count, so the landmark box is framed as dlib expects), and its landmarks are mapped back to the
/// 48-pixel frame.
public enum TemplateCalibration {
    public struct Result: Sendable {
        public var used: Int
        public var tried: Int
        /// Mean landmarks in fractions of the frame side.
        public var mean: [Point2]
        public var neutralBrowHeight: Double
        public var neutralInnerBrowGap: Double
    }

    public static func measure(_ data: FER2013, rows: [Int], neutralOnly: Bool = false) throws -> Result {
        let detector = try HOGFaceDetector(upsample: 0)
        let landmarker = try DlibLandmarker()
        let up = 4.0
        var sums = [Point2](repeating: Point2(0, 0), count: 68)
        var used = 0, browHeights = 0.0, browGaps = 0.0
        for r in rows {
            let gray = Array(data.image(at: r))
            let small = try Image(pixels: gray, width: 48, height: 48, channels: 1)
            let aligner = FaceAligner(template: AlignmentTemplate(anchors: [], size: 192, channels: 3))
            let big = try aligner.upscaled(small, factor: up)
            let boxes = try detector.detect(in: big)
            guard boxes.count == 1 else { continue }
            let l = try landmarker.locate(in: big, box: boxes[0])
            for (i, p) in l.points.enumerated() { sums[i] = sums[i] + p * (1 / (up * 48)) }
            if let m = MovementMeasures(landmarks: l) {
                // Recover the raw brow height and gap from the measure's definition.
                browHeights += MovementMeasures.neutralBrowHeight + MovementMeasures.neutralInnerBrowGap
                    - m.browLowering
                let iod = l.interOcularDistance
                browGaps += l[.browRightInner].distance(to: l[.browLeftInner]) / iod
            }
            used += 1
        }
        let n = Double(max(used, 1))
        let gap = browGaps / n
        return Result(used: used, tried: rows.count, mean: sums.map { $0 * (1 / n) },
                      neutralBrowHeight: browHeights / n - gap, neutralInnerBrowGap: gap)
    }
}
