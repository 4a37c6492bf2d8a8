import ArgumentParser
import Foundation
import Mien

/// `mien voice FILE`: prosody per speech segment and, where the purpose allows, calibrated vocal-expression estimates.
struct VoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Measure tone of voice: prosody per speech segment and calibrated vocal-expression estimates.",
        discussion: """
            Reads WAV, FLAC, OGG, MP3 or the soundtrack of a video, streamed with bounded memory. Vocal-expression \
            estimates describe how listeners would label the expression in the voice; they are not a measure of felt \
            emotion. Exit codes: 0 ok, 1 the sound could not be read, 2 usage error.
            """)

    @Argument(help: "Audio or video file.")
    var file: String

    @Flag(help: "Write the versioned JSON document (schema mien/1, kind voice) to standard output.")
    var json = false

    @Flag(help: "Write one CSV row per speech segment to standard output.")
    var csv = false

    @Option(help: "Also write a self-contained HTML report with the timeline to this path.")
    var html: String?

    @OptionGroup var trust: TrustOptions

    @Option(help: ArgumentHelp("Write each segment's log-mel features to this directory (training).", visibility: .hidden))
    var exportFeatures: String?

    @Option(help: ArgumentHelp("With --export-features: a text file listing more inputs, one per line.", visibility: .hidden))
    var fileList: String?

    @Flag(help: ArgumentHelp("Time decode, prosody and model on one core and print the report as JSON.", visibility: .hidden))
    var benchmark = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() throws {
        if let exportFeatures { return try export(to: exportFeatures) }
        if benchmark {
            let spec = trust.measuresOnly ? nil : try ModelLocator.file(VoiceAnalyzer.modelFileName)
            let report = try VoiceBenchmark.run(file: URL(fileURLWithPath: file), modelSpec: spec)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(report))
            print()
            return
        }
        let governance = try trust.governance()
        let analysis: VoiceAnalysis
        do {
            let analyzer = try VoiceAnalyzer(options: .init(measuresOnly: !trust.requestedOutputs.contains(.expressions)),
                                         governance: governance)
            analysis = try analyzer.analyze(audioAt: URL(fileURLWithPath: file))
        } catch let error as VoiceError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            FileHandle.standardOutput.write(try VoiceReportWriter.json(analysis))
            print()
        } else if csv {
            print(VoiceReportWriter.csv(analysis), terminator: "")
        } else {
            print(VoiceTable.render(analysis))
        }
        if let html {
            try VoiceHTMLReport.render(analysis).write(toFile: html, atomically: true, encoding: .utf8)
            if !json && !csv { print("HTML report: \(html)") }
        }
    }

    private func export(to directory: String) throws {
        var files = [file]
        if let fileList {
            files += try String(contentsOfFile: fileList, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let exporter = try VoiceFeatureExport(directory: URL(fileURLWithPath: directory))
        var segments = 0
        for f in files where !f.isEmpty { segments += try exporter.add(path: f) }
        print("\(segments) segments from \(files.count) files written to \(directory)")
    }
}

/// The plain-text timeline `mien voice` prints by default.
enum VoiceTable {
    static func render(_ a: VoiceAnalysis) -> String {
        func n(_ v: Double?, _ d: Int) -> String { v.map { String(format: "%.\(d)f", $0) } ?? "—" }
        var lines = ["\(a.source): \(n(a.duration, 2)) s, \(a.segments.count) speech segment(s)"]
        lines.append("  seg  start–end s    F0 Hz  range st  level dB  syll/s  jitter%  shimmer dB  HNR dB  vocal expression")
        for s in a.segments {
            let p = s.prosody
            var e = "—"
            if let x = s.expression {
                e = x.isUncertain ? "uncertain (\(x.topClass) \(n(x.confidence, 2)))" : "\(x.label) \(n(x.confidence, 2))"
            }
            lines.append(String(format: "  %3d  %5.2f–%-6.2f  ", s.index, s.start, s.end)
                         + [n(p.f0MeanHz, 0).padding(6), n(p.f0RangeSemitones, 1).padding(8), n(p.levelDBFS, 1).padding(8),
                            n(p.syllableRate, 1).padding(6), n(p.jitterPercent, 2).padding(7), n(p.shimmerDB, 2).padding(10),
                            n(p.hnrDB, 1).padding(6)].joined(separator: "  ") + "  " + e)
        }
        let m = a.summary
        lines.append("  all: speech \(n(m.speechSeconds, 1)) s, F0 \(n(m.f0MeanHz, 0)) Hz (range \(n(m.f0RangeSemitones, 1)) st), "
                     + "\(n(m.syllableRate, 1)) syllables/s, \(m.pauseCount) pauses (\(n(m.pauseSeconds, 1)) s)")
        if let basis = a.basis { lines.append("  Estimates describe \(basis).") }
        lines += a.notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
