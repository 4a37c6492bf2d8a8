import ArgumentParser
import Foundation
import Mien
import MienCore
import MienVision
import MienVoice

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed: per-stage times of the image path, and a detector comparison on the samples.")

    @Option(help: "Image to time (default: Tests/Fixtures/images/bench_640x480.jpg, one face at 640×480).")
    var image: String?

    @Option(help: "Timed runs per measurement (after one warm-up).")
    var iterations = 30

    @Option(help: "OpenCV threads (1 = one core).")
    var threads = 1

    @Flag(help: "Also compare every face detector on the bundled samples (faces found, ms per image).")
    var detectors = false

    @Flag(help: "Landmarks, pose and measures only (no expression model).")
    var measuresOnly = false

    @Flag(help: "JSON instead of a table.")
    var json = false

    @Option(help: "Time the voice path (decode → prosody → vocal-expression model) on this audio or video file.")
    var audio: String?

    func run() throws {
        VisionThreads.set(threads)
        if let audio {
            let r = try VoiceBenchmark.run(file: URL(fileURLWithPath: audio),
                                           modelSpec: try? ModelLocator.file(VoiceAnalyzer.modelFileName))
            print(String(format: "audio %@: %.1f s, %d segments, %d thread(s), best of %d", r.file, r.audioSeconds,
                         r.segments, r.threads, r.repeats))
            print(String(format: "  decode %.3f s   prosody %.3f s   → prosody %.0f× real time", r.decodeSeconds,
                         r.prosodySeconds, r.prosodyRealtimeFactor))
            if let full = r.fullSeconds, let factor = r.fullRealtimeFactor {
                print(String(format: "  with the vocal-expression model %.3f s → %.0f× real time", full, factor))
            }
            return
        }
        let root = ModelLocator.directory()?.deletingLastPathComponent()
        guard let path = image ?? root.map({ $0.appendingPathComponent("Tests/Fixtures/images/bench_640x480.jpg").path })
        else { throw ValidationError("pass --image FILE") }
        var options = AnalysisOptions()
        options.measuresOnly = measuresOnly
        // Benchmarks are not analyses of people: no audit record, measured under research use.
        let governance = Governance(purpose: .researchWithConsent, actor: "bench",
                                    home: FileManager.default.temporaryDirectory.appendingPathComponent("mien-bench"))
        let analyzer = try Analyzer(options: options, governance: governance)
        let times = try ImageBenchmark.run(imageAt: URL(fileURLWithPath: path), analyzer: analyzer,
                                           iterations: iterations)
        var rows: [ImageBenchmark.DetectorRow] = []
        if detectors, let root {
            let samples: [(URL, Int)] = [("nasa_astronaut_eileen_collins.png", 1), ("pexels_1080865_group_meeting.jpg", 5),
                                         ("pexels_18175_angry_closeup.jpg", 1), ("pexels_716658_surprised_santa.jpg", 1)]
                .map { (root.appendingPathComponent("Samples/\($0.0)"), $0.1) }
            rows = try ImageBenchmark.compareDetectors(AnalysisOptions.Detector.allCases, images: samples,
                                                       iterations: max(3, iterations / 5))
        }
        if json {
            struct Out: Encodable { var image: String; var threads: Int; var times: ImageBenchmark.StageTimes; var detectors: [ImageBenchmark.DetectorRow] }
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(Out(image: path, threads: threads, times: times, detectors: rows)), as: UTF8.self))
            return
        }
        print("image \(path), \(times.faces) face(s), detector \(times.detector), \(threads) thread(s), median of \(iterations)")
        for stage in ["decode", "detect", "landmarks", "measures", "align", "classify"] {
            if let v = times.stages[stage] { print(String(format: "  %-10@ %8.2f ms", stage, v)) }
        }
        print(String(format: "  %-10@ %8.2f ms  (%.0f images/s)", "total", times.total, 1000 / max(times.total, 1e-9)))
        if !rows.isEmpty {
            print("\ndetectors on the 4 samples (8 faces), median ms per image:")
            for r in rows {
                let ms = r.msPerImage.sorted { $0.key < $1.key }.map { String(format: "%.1f", $0.value) }.joined(separator: " / ")
                print("  \(r.detector.padding(toLength: 28, withPad: " ", startingAt: 0)) found \(r.facesFound)/\(r.facesExpected)   ms: \(ms)")
            }
            print("  (ms order: astronaut 512×512 / group 1280×853 / angry 1280×1920 / santa 1280×853)")
        }
    }
}
