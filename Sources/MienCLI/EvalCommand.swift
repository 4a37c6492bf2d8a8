import ArgumentParser
import Foundation
import Mien

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the expression model: on FER2013/FER+ (--data) or on any labelled folder of photos (--images).",
        discussion: """
            --data: accuracy of the FER+ head on FER+ majority labels (8 classes) and of the FER2013 head on the \
            original labels (7 classes), per-class precision/recall/F1, confusion matrices, ECE (15 bins) and the \
            abstention coverage, then both heads against FER2013's intended labels on the faces FER+'s raters saw \
            as neutral. --images DIR --labels CSV (columns file,label; FER+ or FER2013 class names) runs the whole \
            pipeline (detect → align → classify), counts missed faces separately, and reports each label set \
            (perceived, intended) under each prior: score posed labels against the intended set.
            """)

    @Option(help: "FER2013 folder (../shared/data/fer2013).") var data: String?
    @Option(help: "Split: PrivateTest or PublicTest.") var split = "PrivateTest"
    @Option(help: "Folder of labelled photos.") var images: String?
    @Option(help: "CSV with columns file,label (FER+ or FER2013 class names).") var labels: String?
    @Flag(help: "Treat each photo as one already-cropped face.") var crops = false
    @Flag(inversion: .prefixedNo, help: "Average over each face and its mirror image.") var flip: Bool?
    @Option(help: "Write confusion-matrix PNGs into this folder.") var confusionPng: String?
    @Flag(help: "JSON instead of tables.") var json = false
    @OptionGroup var prior: PriorOption
    @Flag(help: "The robustness benchmark: the split under blur, noise, JPEG, light, contrast, size, rotation, alignment jitter and occlusion shifts (docs in Models/MODEL_CARD.md).")
    var robustness = false
    @Option(help: "With --robustness: the fer package's results on the same shifted pixels (training/peers/eval_fer_shifts.py), shown beside Mien's.")
    var peer: String?
    @Option(help: "With --robustness: write each shift's pixels here for the peer script.")
    var writeShifts: String?
    @Option(help: "With --robustness or --framing: only the first N faces of the split (a quick look).")
    var limit: Int?
    @Flag(help: "Framing check: the split's faces up-sampled into photos and cut again by the real pipeline (detector → landmarks → alignment), compared with the dataset's own crops (scale, rotation, shift, accuracy).")
    var framing = false
    @Option(help: "With --framing: the face detector (blaze, hog, …).") var detector: String = "blaze"
    @Option(help: "With --framing: how many times the 48-pixel faces are up-sampled into photos.") var upsample: Double = 4
    @Option(help: "With --framing: σ of Gaussian noise added to those photos, in grey levels (camera noise).")
    var cameraNoise: Double = 0
    @Option(help: "With --framing: try the alignment template scaled about the crop centre by this (1 = the product's).")
    var templateScale: Double = 1
    @Option(help: "With --framing: keep every face's crop here (<split>.u8 and <split>.json) for training/finetune.py --aligned.")
    var writeCrops: String?

    func validate() throws {
        guard (data != nil || images != nil) || FER2013.defaultDirectory() != nil else {
            throw ValidationError("pass --data ../shared/data/fer2013 or --images DIR --labels labels.csv")
        }
        if images != nil && labels == nil { throw ValidationError("--images needs --labels labels.csv") }
        guard upsample >= 1 && upsample <= 16, cameraNoise >= 0 && cameraNoise <= 100,
              templateScale >= 0.5 && templateScale <= 2 else {
            throw ValidationError("--upsample must be 1…16, --camera-noise 0…100 and --template-scale 0.5…2")
        }
        guard FER2013.Split(rawValue: split) != nil, split != "Training" || framing else {
            throw ValidationError("--split must be PrivateTest or PublicTest (or Training with --framing)")
        }
    }

    func run() throws {
        guard let models = ModelLocator.directory() else { throw ValidationError("no Models folder found; set MIEN_MODELS") }
        if let images, let labels {
            // Both priors, so a labelled set shows what each would have said.
            let reports = try PhotoEvaluation.run(images: URL(fileURLWithPath: images), labels: URL(fileURLWithPath: labels),
                                                  crops: crops, flip: flip)
            if json { try printJSON(reports) } else { for r in reports { print(r.table()) } }
            return
        }
        guard let dir = data.map(URL.init(fileURLWithPath:)) ?? FER2013.defaultDirectory() else { return }
        let fer = try FER2013.load(from: dir, splits: [FER2013.Split(rawValue: split)!])
        if framing {
            guard let d = AnalysisOptions.Detector(rawValue: detector) else {
                throw ValidationError("--detector must be one of: "
                                      + AnalysisOptions.Detector.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let report = try FramingEvaluation.run(data: fer, split: FER2013.Split(rawValue: split)!, detector: d,
                                                   upsample: upsample, limit: limit, flip: flip, prior: prior.chosen,
                                                   cameraNoise: cameraNoise, templateScale: templateScale,
                                                   writeCrops: writeCrops.map { URL(fileURLWithPath: $0) })
            if json { try printJSON(report) } else { print(report.table()) }
            return
        }
        if robustness {
            let report = try RobustnessEvaluation.run(
                data: fer, split: FER2013.Split(rawValue: split)!, modelsDirectory: models, flip: flip,
                prior: prior.chosen, limit: limit,
                peer: try peer.map { try RobustnessEvaluation.peerMetrics(from: URL(fileURLWithPath: $0)) },
                writeShifts: writeShifts.map { URL(fileURLWithPath: $0) },
                progress: { FileHandle.standardError.write(Data("  shift \($0)\n".utf8)) })
            if json { try printJSON(report) } else { print(report.table()) }
            return
        }
        let reports = try ExpressionEvaluation.evaluate(data: fer, split: FER2013.Split(rawValue: split)!,
                                                        modelsDirectory: models, flip: flip,
                                                        prior: prior.chosen)
        // What a posed-label test set would say: both heads against FER2013's original (intended) labels on the
        // faces FER+'s raters saw as neutral (printed after the two headline reports; not drawn as confusion PNGs).
        let intended = try ExpressionEvaluation.intendedLabelsOnRatedNeutralFaces(
            data: fer, split: FER2013.Split(rawValue: split)!, modelsDirectory: models, flip: flip, prior: prior.chosen)
        if let confusionPng {
            try FileManager.default.createDirectory(atPath: confusionPng, withIntermediateDirectories: true)
            for r in reports {
                let image = try Picture.confusionChart(classes: r.classes, confusion: r.confusion,
                                                      title: "\(r.head) head, \(split), \(r.labels)")
                try image.write(to: URL(fileURLWithPath: confusionPng).appendingPathComponent("confusion_\(r.head)_\(split).png"))
            }
        }
        if json { try printJSON(reports + intended) } else {
            print("split \(split)" + (flip == true ? ", flip-averaged" : ""))
            for r in reports + intended { print(r.table()) }
        }
    }

    private func printJSON<T: Encodable>(_ value: T) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try e.encode(value), as: UTF8.self))
    }
}
