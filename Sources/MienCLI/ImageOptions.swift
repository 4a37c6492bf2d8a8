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
typealias PriorOption = ChoiceOption<ExpressionPrior>
/// `--label-set`, shared by the commands that produce expression estimates from images and video.
typealias LabelSetOption = ChoiceOption<ExpressionLabelSet>

/// A choice among one of Mien's named cases, given on the command line: its option name and help, its default, and
/// its parser (whose error lists the choices).
protocol CommandLineChoice: RawRepresentable<String> {
    static var optionName: String { get }
    static var valueName: String { get }
    static var help: String { get }
    static var `default`: Self { get }
    static func parse(_ text: String) throws -> Self
}

extension ExpressionPrior: CommandLineChoice {
    static let optionName = "prior"
    static let valueName = "prior"
    static let help = "Class prior of the expression estimates: natural (FER+'s training frequencies; default) or balanced (every class equally likely a priori). See Models/MODEL_CARD.md, \"Prior\"."
}

extension ExpressionLabelSet: CommandLineChoice {
    static let optionName = "label-set"
    static let valueName = "set"
    static let help = "Labels the expression estimates answer in: perceived (what FER+'s raters saw; 8 classes; default) or intended (what the photo was meant to show, FER2013's labels, closer to posed datasets; 7 classes). See Models/MODEL_CARD.md, \"Cross-dataset\"."
}

/// The option group of one `CommandLineChoice`: validated with the choice's own parser, so a wrong value is a usage
/// error that lists the choices.
struct ChoiceOption<Choice: CommandLineChoice>: ParsableArguments {
    @Option(name: .customLong(Choice.optionName), help: ArgumentHelp(Choice.help, valueName: Choice.valueName))
    var text: String = Choice.default.rawValue

    func validate() throws {
        do { _ = try Choice.parse(text) } catch { throw ValidationError("\(error)") }
    }

    var chosen: Choice { (try? Choice.parse(text)) ?? .default }
}
