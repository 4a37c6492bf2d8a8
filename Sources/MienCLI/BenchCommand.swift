import ArgumentParser
import Foundation
import Mien

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

    @Option(help: "Detector for the image path: blaze (default), blaze-full, blaze-short, hog, hog-up, haar.")
    var detector: String = AnalysisOptions.Detector.blaze.rawValue

    @Flag(help: "Landmarks, pose and measures only (no expression model).")
    var measuresOnly = false

    @Flag(help: "Image path: also find each face's body (33 keypoints and body movement; the 'body' stage).")
    var body = false

    @Option(help: "With --video: run the body keypoints on every Kth analysed frame (0 = off, as mien video by default).")
    var bodyEvery = 0

    @Flag(help: "JSON instead of a table.")
    var json = false

    @Option(help: "Time the video pipeline end to end (decode → detect/follow → landmarks → classify → measures) on this file.")
    var video: String?

    @Option(help: "With --video: look for new faces every K frames while following known ones by landmarks (1 = detect on every frame, the --accuracy reference).")
    var detectEvery = 10

    @Option(help: "With --video: analyse at most this many frames.")
    var frames: Int?

    @Flag(help: "With --video: also compare landmark following against detection on every frame.")
    var accuracy = false

    @Option(help: "With --video: run the face mesh and blendshapes on every Kth frame of each track (0 = off, as mien video by default).")
    var blendshapesEvery = VideoOptions().blendshapesEvery

    @Flag(inversion: .prefixedNo, help: "With --video: also run the mesh on frames where the 68-point eye opening drops (blink candidates).")
    var eyelidTrigger = true

    @Option(help: "Time the voice path (decode → prosody → vocal-expression model) on this audio or video file.")
    var audio: String?

    func run() throws {
        ComputeThreads.set(threads)
        if let video {
            try benchVideo(URL(fileURLWithPath: video))
            return
        }
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
        options.body = body
        guard let chosen = AnalysisOptions.Detector(rawValue: detector) else {
            throw ValidationError("unknown detector '\(detector)'")
        }
        options.detector = chosen
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
        for stage in ["decode", "detect", "landmarks", "measures", "blendshapes", "body", "align", "classify"] {
            if let v = times.stages[stage] { print(String(format: "  %-10@ %8.2f ms", stage, v)) }
        }
        print(String(format: "  %-10@ %8.2f ms  (%.0f images/s)", "total", times.total, 1000 / max(times.total, 1e-9)))
        if let c = try ImageBenchmark.classifier(imageAt: URL(fileURLWithPath: path), analyzer: analyzer,
                                                 iterations: iterations) {
            print(String(format: "  expression classifier alone, one face, batch 1: single view %.2f ms, "
                         + "flip-averaged %.2f ms", c.single, c.flip))
        }
        if !rows.isEmpty {
            print("\ndetectors on the 4 samples (8 faces), median ms per image:")
            for r in rows {
                let ms = r.msPerImage.sorted { $0.key < $1.key }.map { String(format: "%.1f", $0.value) }.joined(separator: " / ")
                print("  \(r.detector.padding(toLength: 28, withPad: " ", startingAt: 0)) found \(r.facesFound)/\(r.facesExpected)   ms: \(ms)")
            }
            print("  (ms order: astronaut 512×512 / group 1280×853 / angry 1280×1920 / santa 1280×853)")
        }
    }

    func benchVideo(_ url: URL) throws {
        var options = VideoOptions()
        options.analysis.measuresOnly = measuresOnly
        options.detectEvery = detectEvery
        options.blendshapesEvery = max(0, blendshapesEvery)
        options.blendshapesOnEyelidDrop = eyelidTrigger
        options.analysis.body = bodyEvery > 0
        options.bodyEvery = max(0, bodyEvery)
        options.thumbnails = false
        options.deliverFrames = false
        let governance = Governance(purpose: .researchWithConsent, actor: "bench",
                                    home: FileManager.default.temporaryDirectory.appendingPathComponent("mien-bench"))
        let analyzer = try VideoAnalyzer(options: options, governance: governance)
        let s = try VideoBenchmark.speed(file: url, analyzer: analyzer, maxFrames: frames)
        let acc = accuracy ? try VideoBenchmark.trackingAccuracy(file: url, analyzer: analyzer, maxFrames: frames) : nil
        if json {
            struct Out: Encodable { var speed: VideoBenchmark.Speed; var threads: Int; var accuracy: VideoBenchmark.TrackingAccuracy? }
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(Out(speed: s, threads: threads, accuracy: acc)), as: UTF8.self))
            return
        }
        print(String(format: "video %@ %d×%d: %d frames in %.2f s = %.1f frames/s end to end (detect every %d, "
                     + "mesh every %d, OpenCV threads %d + decode thread), %d track(s), peak RSS %.0f MB", s.file, s.width, s.height,
                     s.frames, s.wallSeconds, s.framesPerSecond, s.detectEvery, s.blendshapesEvery, threads, s.tracks, s.peakRSSMB))
        for (stage, ms) in s.stageMs.sorted(by: { $0.value > $1.value }) {
            print(String(format: "  %-12@ %7.2f ms/frame", stage, ms))
        }
        if let a = acc {
            print(String(format: "following vs detecting every frame (%d frames both, %d only one): landmarks differ "
                         + "%.3f IOD mean, %.3f p95; box IoU %.3f; smoothed label agreement %@; tracks %d vs %d; "
                         + "%.1f vs %.1f frames/s", a.framesCompared, a.framesOnlyOne, a.landmarkMeanIOD,
                         a.landmarkP95IOD, a.boxIoU, a.labelAgreement.map { String(format: "%.1f%%", $0 * 100) } ?? "–",
                         a.tracksFollowing, a.tracksEveryFrame, a.fpsFollowing, a.fpsEveryFrame))
        }
    }
}
