import ArgumentParser
import Foundation
import Mien

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find faces in images and report landmarks, head pose, movement measures and expression estimates.",
        discussion: "A directory argument analyses every image in it. Exit codes: 0 ok, 1 some inputs failed, 2 usage error.")

    @Argument(help: "Image files or directories (JPEG, PNG, WebP, BMP, TIFF).")
    var inputs: [String]

    @Flag(help: "Write the versioned JSON document (schema mien/1) to standard output instead of the table.")
    var json = false

    @Option(help: "Write each image with boxes, landmarks and labels drawn into this directory.")
    var annotate: String?

    @Flag(inversion: .prefixedNo, help: "Fit the 478-point face mesh and report its 52 blendshape coefficients per face (movement, not emotion; also with --measures-only).")
    var blendshapes = true

    @Flag(help: "Find each face's body: 33 keypoints and body movement (shoulder height and tilt, lean, hand-to-face contact; docs/BODY.md). Movement, not emotion.")
    var body = false

    @OptionGroup var image: ImageOptions

    @OptionGroup var trust: TrustOptions

    func run() throws {
        var options = image.applied()
        options.measuresOnly = !trust.requestedOutputs.contains(.expressions)
        options.blendshapes = blendshapes
        options.body = body
        let governance = try trust.governance()
        let analyzer = try Analyzer(options: options, governance: governance)
        let granted = analyzer.decision.granted.map(\.rawValue).sorted()

        let files = try InputFiles.expand(inputs)
        var analyses: [ImageAnalysis] = []
        var analysed = 0
        var failures: [AnalysisDocument.Failure] = files.failures
        if let annotate { try FileManager.default.createDirectory(atPath: annotate, withIntermediateDirectories: true) }
        if !json {
            print("purpose: \(governance.purpose.rawValue) (change with --purpose); producing: "
                  + granted.joined(separator: ", "))
        }
        // One input at a time: the table mode keeps nothing; --json keeps the analyses for the one document.
        for item in analyzer.analyses(of: files.urls) {
            do {
                let (analysis, picture) = try item.result.get()
                analysed += 1
                if json { analyses.append(analysis) } else { print(AnalysisTable.render(analysis)) }
                if let annotate, let drawn = picture.annotated(with: analysis.faces) {
                    let name = item.url.deletingPathExtension().lastPathComponent + ".annotated.jpg"
                    try drawn.write(to: URL(fileURLWithPath: annotate).appendingPathComponent(name))
                }
            } catch {
                failures.append(.init(source: item.url.path, error: CommandLineWords.describe(error)))
            }
        }
        if json {
            let doc = AnalysisDocument(generator: "mien 0.1.0", purpose: governance.purpose.rawValue,
                                       outputs: granted,
                                       model: analyzer.modelVersion, images: analyses, errors: failures)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(doc))
            print()
        } else if analysed > 0 && analyzer.producesExpressions {
            print("Expression estimates are calibrated probabilities of how annotators would label the facial "
                  + "expression; they are not measures of felt emotion.")
        }
        for f in failures { FileHandle.standardError.write(Data("error: \(f.error)\n".utf8)) }
        if !failures.isEmpty {
            FileHandle.standardError.write(Data("\(failures.count) of \(failures.count + analysed) inputs failed.\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Expands arguments into image files: a directory contributes its images (sorted, not recursive).
enum InputFiles {
    static func expand(_ inputs: [String]) throws -> (urls: [URL], failures: [AnalysisDocument.Failure]) {
        var urls: [URL] = [], failures: [AnalysisDocument.Failure] = []
        for input in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else {
                failures.append(.init(source: input, error: "\(AnalysisError.fileNotFound(path: input))"))
                continue
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
                let images = names.filter { !$0.hasPrefix(".") }
                    .filter { imageFileExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                    .sorted()
                if images.isEmpty {
                    failures.append(.init(source: input, error: "\(AnalysisError.noImagesInDirectory(path: input))"))
                }
                urls += images.map { URL(fileURLWithPath: input).appendingPathComponent($0) }
            } else {
                urls.append(URL(fileURLWithPath: input))
            }
        }
        return (urls, failures)
    }
}
