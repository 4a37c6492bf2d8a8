import Foundation
import MienCore
import MienVision

/// A decoded picture or video frame as Mien holds it. The pixels stay in the vision layer; callers can annotate,
/// encode or write it without depending on that layer.
public struct Picture: Sendable {
    let image: Image

    init(_ image: Image) { self.image = image }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Encoded formats a picture can be written in.
    public enum Format: String, Sendable, CaseIterable {
        case jpeg, png
        var fileExtension: String { self == .jpeg ? ".jpg" : ".png" }
    }

    /// Decodes an image file (for callers that only annotate or convert; analysis decodes on its own).
    public init(contentsOf url: URL, maxPixels: Int = AnalysisOptions().maxPixels) throws {
        image = try ImageDecoder(maxPixels: maxPixels).decode(fileAt: url)
    }

    /// A copy with boxes, landmarks and short labels (expression and pose) drawn on it.
    public func annotated(with faces: [FaceAnalysis]) -> Picture? {
        Annotator().annotate(image, faces: faces).map(Picture.init)
    }

    /// Writes the picture; the file extension chooses the format.
    public func write(to url: URL) throws { try image.write(to: url) }

    /// The picture encoded as JPEG or PNG bytes.
    public func encoded(as format: Format) throws -> Data { try image.encoded(as: format.fileExtension) }
}

/// OpenCV's worker threads for the whole process (1 pins analysis to one core, for single-core benchmarks).
public enum ComputeThreads {
    public static func set(_ count: Int) { VisionThreads.set(count) }
}

extension Picture {
    /// A confusion matrix drawn as a picture (rows: true class, columns: predicted), for `mien eval`.
    public static func confusionChart(classes: [String], confusion: [[Int]], title: String) throws -> Picture {
        Picture(try ConfusionChart.render(classes: classes, confusion: confusion, title: title))
    }
}
