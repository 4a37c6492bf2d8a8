import ArgumentParser
import Foundation
import Mien

/// Developer tool: fits the balanced-prior calibration on PublicTest and writes it into Models/expression.json
/// (Models/MODEL_CARD.md, "Prior"). Hidden from the main help.
struct CalibratePriorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate-prior",
        abstract: "Fit the balanced-prior temperature and threshold of each expression head on PublicTest.",
        shouldDisplay: false)

    @Option(help: "FER2013 folder (../shared/data/fer2013).") var data: String?
    @Flag(help: "Write the fit into the model's JSON (default: print it only).") var write = false

    func run() throws {
        guard let dir = data.map(URL.init(fileURLWithPath:)) ?? FER2013.defaultDirectory() else {
            throw ValidationError("pass --data ../shared/data/fer2013")
        }
        guard let models = ModelLocator.directory() else { throw ValidationError("no Models folder found; set MIEN_MODELS") }
        let fer = try FER2013.load(from: dir, splits: [.training, .publicTest])
        let fits = try PriorFitting.fit(data: fer, modelsDirectory: models)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(fits), as: UTF8.self))
        if write {
            let spec = models.appendingPathComponent("expression.json")
            try PriorFitting.write(fits, into: spec)
            print("written into \(spec.path)")
        }
    }
}
