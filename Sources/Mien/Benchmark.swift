import Foundation
import MienCore
import MienVision

/// Per-stage timings of the still-image path, for `mien bench`. Times are medians over `iterations` runs after
/// one warm-up, on however many threads OpenCV was given (`VisionThreads.set`).
public enum ImageBenchmark {
    public struct StageTimes: Sendable, Codable {
        public var stages: [String: Double]
        public var total: Double
        public var faces: Int
        public var detector: String
    }

    public static func run(imageAt url: URL, analyzer: Analyzer, iterations: Int) throws -> StageTimes {
        let data = try ImageDecoder().read(fileAt: url)
        var samples: [String: [Double]] = [:]
        var totals: [Double] = []
        var faces = 0
        for i in 0...iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let decodeStart = start
            let image = try ImageDecoder(maxPixels: analyzer.options.maxPixels).decode(data, source: url.path)
            let decodeMs = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e6
            let result = try analyzer.analyze(image, source: url.path)
            let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            guard i > 0 else { continue }  // warm-up
            faces = result.faces.count
            samples["decode", default: []].append(decodeMs)
            for (k, v) in result.timings { samples[k, default: []].append(v) }
            totals.append(total)
        }
        return StageTimes(stages: samples.mapValues(median), total: median(totals), faces: faces,
                          detector: analyzer.engine.detectorName)
    }

    /// Detector comparison: faces found and median detection time per image.
    public struct DetectorRow: Sendable, Codable {
        public var detector: String
        public var facesFound: Int
        public var facesExpected: Int
        public var msPerImage: [String: Double]
    }

    public static func compareDetectors(_ choices: [AnalysisOptions.Detector], images: [(URL, Int)],
                                        iterations: Int) throws -> [DetectorRow] {
        let decoded = try images.map { (try ImageDecoder().decode(fileAt: $0.0), $0.0.lastPathComponent, $0.1) }
        return try choices.map { choice in
            let detector = try DetectorFactory.make(choice, modelsDirectory: ModelLocator.directory())
            var found = 0, expected = 0
            var times: [String: Double] = [:]
            for (image, name, count) in decoded {
                _ = try detector.detect(in: image)
                var t: [Double] = []
                var n = 0
                for _ in 0..<iterations {
                    let s = DispatchTime.now().uptimeNanoseconds
                    n = try detector.detect(in: image).count
                    t.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
                }
                found += min(n, count)
                expected += count
                times[name] = median(t)
            }
            return DetectorRow(detector: detector.name, facesFound: found, facesExpected: expected, msPerImage: times)
        }
    }

    /// The expression classifier alone on one aligned face (batch 1): single view and flip-averaged.
    public static func classifier(imageAt url: URL, analyzer: Analyzer, iterations: Int) throws -> (single: Double, flip: Double)? {
        guard let models = analyzer.engine.modelsDirectory, analyzer.producesExpressions else { return nil }
        let image = try ImageDecoder().decode(fileAt: url)
        let analysis = try analyzer.analyze(image, source: url.path)
        guard let face = try analyzer.alignedFaces(in: image, analysis: analysis).first else { return nil }
        let classifier = try OnnxExpressionClassifier(modelsDirectory: models)
        func time(_ flip: Bool) throws -> Double {
            _ = try classifier.logits(for: [face], flip: flip)
            var t: [Double] = []
            for _ in 0..<iterations {
                let s = DispatchTime.now().uptimeNanoseconds
                _ = try classifier.logits(for: [face], flip: flip)
                t.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
            }
            return median(t)
        }
        return (try time(false), try time(true))
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
