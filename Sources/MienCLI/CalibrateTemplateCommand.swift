import ArgumentParser
import Foundation
import Mien

/// Developer tool: re-measures the FER2013 alignment template (docs/MEASURES.md). Hidden from the main help.
struct CalibrateTemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate-template", abstract: "Measure mean dlib landmarks in FER2013 framing.",
        shouldDisplay: false)

    @Option(help: "FER2013 folder (../shared/data/fer2013).") var data: String?
    @Option(help: "How many training faces to try.") var count = 2000

    func run() throws {
        guard let dir = data.map(URL.init(fileURLWithPath:)) ?? FER2013.defaultDirectory() else {
            throw ValidationError("pass --data ../shared/data/fer2013")
        }
        let fer = try FER2013.load(from: dir, splits: [.training])
        let all = fer.rows.indices.filter { fer.rows[$0].pixelsExact }
        let rows = Array(all.prefix(count))
        let neutral = Array(all.filter { fer.rows[$0].ferPlusMajority == 0 }.prefix(count))
        let r = try TemplateCalibration.measure(fer, rows: rows)
        let rn = try TemplateCalibration.measure(fer, rows: neutral)
        func p(_ pt: Point2) -> String { String(format: "(%.4f, %.4f)", pt.x, pt.y) }
        let re = Point2.mean(Array(r.mean[36...41])), le = Point2.mean(Array(r.mean[42...47]))
        print("all faces: used \(r.used) of \(r.tried)")
        print("right eye centre \(p(re))  left eye centre \(p(le))  nose tip \(p(r.mean[30]))  "
              + "mouth corners \(p(r.mean[48])) \(p(r.mean[54]))  chin \(p(r.mean[8]))")
        print("outer eye corners \(p(r.mean[36])) \(p(r.mean[45]))")
        print("neutral faces: used \(rn.used) of \(rn.tried); brow height \(String(format: "%.4f", rn.neutralBrowHeight)) IOD, "
              + "inner brow gap \(String(format: "%.4f", rn.neutralInnerBrowGap)) IOD")
        print("mean landmarks (fractions of the 48-px side): " + r.mean.map(p).joined(separator: " "))
    }
}
