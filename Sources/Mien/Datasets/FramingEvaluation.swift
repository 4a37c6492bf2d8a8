import Foundation
import MienCore
import MienVision

/// Do the crops the pipeline cuts at inference match the framing the expression model was trained on?
/// (`mien eval --framing`, issue 16: "check that train and inference framing agree".)
///
/// Each FER2013 face is up-sampled (4× by default, with a margin of its replicated edge) so that it is a photo
/// again, then goes through the real pipeline: detector → 68 landmarks → similarity fit to the template → 48×48
/// crop. The true placement is known (the dataset's own crop is what the model trained on), so the fitted crop
/// can be compared with it: composed with the up-sampling, a pipeline that reproduces the training framing maps
/// each face onto itself — scale 1, no rotation, no shift — on average over faces (single FER2013 faces were
/// framed by an automatic detector and vary around that mean). The classifier then reads both crops of the same
/// faces, so the accuracy the pipeline costs is measured apart from the faces it misses. `writeCrops` keeps every
/// row's crop (`<split>.u8`, N×48×48 in row order, and `<split>.json`) for `training/finetune.py --aligned`.
public enum FramingEvaluation {
    /// Mean, standard deviation, median and the 5th / 95th percentiles of one quantity over the faces.
    public struct Spread: Sendable, Codable, Hashable {
        public var mean: Double
        public var sd: Double
        public var median: Double
        public var p5: Double
        public var p95: Double

        init(_ values: [Double]) {
            let n = Double(max(values.count, 1))
            mean = values.reduce(0, +) / n
            let m = mean
            sd = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
            let sorted = values.sorted()
            func q(_ f: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((f * Double(sorted.count - 1)).rounded()))]
            }
            median = q(0.5)
            p5 = q(0.05)
            p95 = q(0.95)
        }

        func text(_ format: String = "%.3f") -> String {
            String(format: "median \(format)  mean \(format)  sd \(format)  5%% \(format)  95%% \(format)", median, mean,
                   sd, p5, p95)
        }
    }

    public struct Report: Sendable, Codable {
        public var split: String
        public var detector: String
        public var upsample: Double
        public var margin: Int
        /// σ of the Gaussian noise added to the up-sampled photo, in grey levels (0: none).
        public var cameraNoise: Double
        /// The template's anchors scaled about the crop centre by this (1: the product's template).
        public var templateScale: Double
        /// Faces tried (rows with a FER+ majority label).
        public var faces: Int
        /// Faces the detector found (the largest box is used).
        public var found: Int
        /// Of those, crops fitted to landmarks (the rest fell back to the centred box).
        public var landmarkAligned: Int
        /// Pipeline crop relative to the dataset crop, over landmark-aligned faces: scale (1 = same size), rotation
        /// in degrees, and where the dataset crop's centre lands, in pixels of the 48-pixel frame (x right, y down).
        public var scale: Spread
        public var rotationDegrees: Spread
        public var shiftX: Spread
        public var shiftY: Spread
        /// FER+ head on the same found faces: the dataset crop (what training saw) and the pipeline's crop.
        public var datasetCrop: ClassificationReport
        public var pipelineCrop: ClassificationReport
        /// Share of found faces whose top class is the same from both crops.
        public var agreement: Double

        public func table() -> String {
            var out = String(format: "framing on FER2013 %@ (up-sampled %.0f×, margin %d px, camera noise σ %.0f), "
                             + "detector %@", split, upsample, margin, cameraNoise, detector)
                + (templateScale == 1 ? "\n" : String(format: ", template scaled %.3f×\n", templateScale))
            out += String(format: "  faces %d, found %d (%.1f%%), aligned by landmarks %d (%.1f%% of found)\n",
                          faces, found, 100 * Double(found) / Double(max(faces, 1)), landmarkAligned,
                          100 * Double(landmarkAligned) / Double(max(found, 1)))
            out += "  pipeline crop vs dataset crop (1, 0, 0, 0 = the training framing):\n"
            out += "    scale          " + scale.text() + "\n"
            out += "    rotation, °    " + rotationDegrees.text("%.2f") + "\n"
            out += "    centre x, px   " + shiftX.text("%.2f") + "\n"
            out += "    centre y, px   " + shiftY.text("%.2f") + "\n"
            out += String(format: "  FER+ head on the %d found faces: dataset crop %.2f%% / macro recall %.2f%%; "
                          + "pipeline crop %.2f%% / %.2f%%; same top class %.1f%%\n",
                          datasetCrop.count, datasetCrop.accuracy * 100, datasetCrop.macroRecall * 100,
                          pipelineCrop.accuracy * 100, pipelineCrop.macroRecall * 100, agreement * 100)
            return out
        }
    }

    public static func run(data: FER2013, split: FER2013.Split, detector: AnalysisOptions.Detector = .blaze,
                           upsample: Double = 4, margin: Int = 48, limit: Int? = nil, flip: Bool? = nil,
                           prior: ExpressionPrior = .natural, cameraNoise: Double = 0, templateScale: Double = 1,
                           writeCrops: URL? = nil) throws -> Report {
        var all = data.rows.indices.filter { data.rows[$0].split == split }
        if let limit { all = Array(all.prefix(limit)) }
        let rows = all.filter { data.rows[$0].ferPlusMajority != nil }
        let engine = try Engine(Engine.Configuration(detector: detector))
        guard engine.classifiers != nil, let models = engine.modelsDirectory else {
            throw AnalysisError.modelMissing(path: "Models/expression.onnx", hint: "Set MIEN_MODELS to the Models folder.")
        }
        let pipeline = FacePipeline(engine: engine, options: AnalysisOptions(),
                                    template: templateScale == 1 ? nil : engine.template.scaled(by: templateScale))
        let up = FaceAligner.upscaledTransform(factor: upsample, margin: margin)
        let side = FER2013.side
        let centre = Point2(Double(side - 1) / 2, Double(side - 1) / 2)
        var found: [Int] = [], datasetCrops: [AlignedFace] = [], pipelineCrops: [AlignedFace] = []
        var scales: [Double] = [], rotations: [Double] = [], dx: [Double] = [], dy: [Double] = []
        // Every row's crop for `writeCrops`: the pipeline's where it aligned by landmarks, else the dataset's.
        var written = Data(), aligned: [Bool] = []
        for row in all {
            let pixels = Array(data.image(at: row))
            let small = try Image(pixels: pixels, width: side, height: side, channels: 1)
            var big = try FaceAligner().upscaled(small, factor: upsample, margin: margin)
            if cameraNoise > 0 {   // sensor noise at the photo's resolution, seeded by the row as ImageShift is
                big = try Image(pixels: ImageShift.noise(sigma: cameraNoise).apply(
                                    try big.grayPixels(), side: big.width, seed: UInt64(data.rows[row].index)),
                                width: big.width, height: big.height, channels: 1)
            }
            let boxes = try engine.detectors.with { try $0.detect(in: big) }
            var crop: AlignedFace?
            if let box = boxes.max(by: { $0.rect.area < $1.rect.area }) {
                let l = try pipeline.landmarks(in: big, box: box)
                let face = pipeline.describe(box: box.rect, score: box.score, landmarks: l, imageWidth: big.width,
                                             imageHeight: big.height)
                crop = try pipeline.crop(big, face: face)
            }
            if writeCrops != nil {
                let usable = crop?.method == "landmarks"
                aligned.append(usable)
                written.append(contentsOf: usable ? crop!.pixels : pixels)
            }
            guard let crop, data.rows[row].ferPlusMajority != nil else { continue }
            found.append(row)
            datasetCrops += ExpressionEvaluation.faces(data, rows: [row])
            pipelineCrops.append(crop)
            guard crop.method == "landmarks" else { continue }
            // dataset pixel → up-sampled photo → pipeline crop
            let t = crop.transform
            scales.append(t.scale * upsample)
            rotations.append(t.rotation * 180 / .pi)
            let c = t.apply(up.apply(centre))
            dx.append(c.x - centre.x)
            dy.append(c.y - centre.y)
        }
        if let writeCrops {
            try FileManager.default.createDirectory(at: writeCrops, withIntermediateDirectories: true)
            try written.write(to: writeCrops.appendingPathComponent("\(split.rawValue).u8"))
            let index: [String: Any] = ["split": split.rawValue, "side": side, "detector": engine.detectorName,
                                        "rows": all.map { data.rows[$0].index }, "aligned": aligned]
            try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
                .write(to: writeCrops.appendingPathComponent("\(split.rawValue).json"))
        }
        let classifier = try OnnxExpressionClassifier(modelsDirectory: models, head: "ferplus", flipAverage: flip)
        let (calibration, logPrior) = try classifier.head.calibration(prior: prior, flipAveraged: classifier.flipAverage,
                                                                      model: classifier.modelVersion)
        let truth = found.map { data.rows[$0].ferPlusMajority! }
        var tops: [[Int]] = []
        func report(_ faces: [AlignedFace], _ labels: String) throws -> ClassificationReport {
            let logits = try ExpressionEvaluation.logits(classifier, faces: faces)
            tops.append(logits.map { l in l.indices.max { l[$0] < l[$1] } ?? 0 })
            return ClassificationReport(
                head: "ferplus", labels: labels, classes: classifier.head.classes, truth: truth,
                probabilities: logits.map {
                    Calibration.softmax($0, temperature: calibration.temperature, subtractingLogPrior: logPrior)
                },
                uncalibrated: logits.map { Calibration.softmax($0) }, threshold: calibration.abstainThreshold,
                prior: prior.rawValue, eceUncertainty: false)
        }
        let direct = try report(datasetCrops, "FER+ majority labels, dataset crop")
        let piped = try report(pipelineCrops, "FER+ majority labels, pipeline crop")
        let same = zip(tops[0], tops[1]).filter { $0 == $1 }.count
        return Report(split: split.rawValue, detector: engine.detectorName, upsample: upsample, margin: margin,
                      cameraNoise: cameraNoise, templateScale: templateScale,
                      faces: rows.count, found: found.count, landmarkAligned: scales.count, scale: Spread(scales),
                      rotationDegrees: Spread(rotations), shiftX: Spread(dx), shiftY: Spread(dy),
                      datasetCrop: direct, pipelineCrop: piped,
                      agreement: Double(same) / Double(max(found.count, 1)))
    }
}
