import Foundation
import MienCore
import MienVoice

/// The front door for sound: `try VoiceAnalyzer().analyze(audioAt: url)` → a `VoiceAnalysis`.
///
/// Reads any file FFmpeg decodes (WAV, FLAC, OGG, MP3, a video's soundtrack), streamed in one-second chunks.
/// With `measuresOnly` no expression model is loaded or run: prosody only.
public final class VoiceAnalyzer {
    public struct Options: Sendable {
        public var measuresOnly = false
        public var segmentation = SegmentationOptions()
        /// The model's JSON; nil finds `voice_expression.json` through `ModelLocator`.
        public var modelSpec: URL?
        public init(measuresOnly: Bool = false) { self.measuresOnly = measuresOnly }
    }

    public static let modelFileName = "voice_expression.json"
    public let options: Options
    public let model: VocalExpressionModel?
    private let pipeline: VoicePipeline

    public init(options: Options = Options()) throws {
        self.options = options
        if options.measuresOnly {
            model = nil
        } else {
            let url = try options.modelSpec ?? ModelLocator.file(Self.modelFileName)
            model = try VocalExpressionModel(specURL: url)
        }
        pipeline = VoicePipeline(model: model, options: options.segmentation)
    }

    /// Model name and version for the audit log; nil when measures only.
    public var modelVersion: String? { model?.spec.name }

    public func analyze(audioAt url: URL) throws -> VoiceAnalysis {
        try pipeline.analyze(path: url.path)
    }

    /// For sound already decoded: 16 kHz mono floats in [-1, 1].
    public func analyze(samples: [Float], source: String) throws -> VoiceAnalysis {
        try pipeline.analyze(samples: samples, source: source)
    }
}
