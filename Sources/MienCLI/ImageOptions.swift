import ArgumentParser
import Foundation
import Mien

/// The still-image analysis options the analysing commands share (`mien analyze`, `mien batch`).
struct ImageOptions: ParsableArguments {
    @Option(help: "Face detector: blaze (default: BlazeFace full+short range), blaze-full, blaze-short, hog, hog-up, haar.")
    var detector: String = AnalysisOptions.Detector.blaze.rawValue

    @Option(help: "Refuse images larger than this many megapixels, checked from the header before decoding.")
    var maxMegapixels: Double = 50

    @Flag(help: "Treat each image as one already-cropped face (research datasets): no detector runs.")
    var crops = false

    @Flag(inversion: .prefixedNo, help: "Average the expression model over each face and its mirror image.")
    var flip: Bool?

    @OptionGroup var prior: PriorOption
    @OptionGroup var labelSet: LabelSetOption

    func validate() throws {
        guard AnalysisOptions.Detector(rawValue: detector) != nil else {
            throw ValidationError("unknown detector '\(detector)'; choose one of "
                                  + AnalysisOptions.Detector.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard maxMegapixels > 0 else { throw ValidationError("--max-megapixels must be positive") }
    }

    /// These options on top of `options`.
    func applied(to options: AnalysisOptions = AnalysisOptions()) -> AnalysisOptions {
        var o = options
        o.detector = AnalysisOptions.Detector(rawValue: detector) ?? .blaze
        o.maxPixels = Int(maxMegapixels * 1_000_000)
        o.crops = crops
        o.flipAverage = flip
        o.prior = prior.chosen
        o.labelSet = labelSet.chosen
        return o
    }
}

/// `--prior`, shared by every command that produces expression estimates.
struct PriorOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Class prior of the expression estimates: natural (FER+'s training frequencies; default) or balanced (every class equally likely a priori). See Models/MODEL_CARD.md, \"Prior\".",
        valueName: "prior"))
    var prior: String = ExpressionPrior.default.rawValue

    func validate() throws {
        do { _ = try ExpressionPrior.parse(prior) } catch { throw ValidationError("\(error)") }
    }

    var chosen: ExpressionPrior { (try? ExpressionPrior.parse(prior)) ?? .default }
}

/// `--label-set`, shared by the commands that produce expression estimates from images and video.
struct LabelSetOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Labels the expression estimates answer in: perceived (what FER+'s raters saw; 8 classes; default) or intended (what the photo was meant to show, FER2013's labels, closer to posed datasets; 7 classes). See Models/MODEL_CARD.md, \"Cross-dataset\".",
        valueName: "set"))
    var labelSet: String = ExpressionLabelSet.default.rawValue

    func validate() throws {
        do { _ = try ExpressionLabelSet.parse(labelSet) } catch { throw ValidationError("\(error)") }
    }

    var chosen: ExpressionLabelSet { (try? ExpressionLabelSet.parse(labelSet)) ?? .default }
}
