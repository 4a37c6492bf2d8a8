import Foundation
import MienCore
import MienVoice

/// The front door for sound: `try VoiceAnalyzer().analyze(audioAt: url)` → a `VoiceAnalysis`.
///
/// Reads any file FFmpeg decodes (WAV, FLAC, OGG, MP3, a video's soundtrack), streamed in one-second chunks.
/// Like `Analyzer`, it runs under a `Governance`: the purpose is authorised at construction (vocal expression
/// estimates count as `.expressions`), and every analysed file is in the audit log before `analyze` returns.
/// With `measuresOnly`, or when the policy grants measures only, no expression model is loaded: prosody only.
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
    public let governance: Governance
    public let decision: PolicyDecision
    public let model: VocalExpressionModel?
    private let pipeline: VoicePipeline

    /// - Throws: `PolicyRefusal` when the purpose may not have what the options ask for (audited).
    public init(options: Options = Options(), governance: Governance = .localDefault()) throws {
        self.options = options
        self.governance = governance
        decision = try governance.authorize(options.measuresOnly ? [.measures] : [.measures, .expressions])
        if !decision.granted.contains(.expressions) {
            model = nil
        } else {
            let url = try options.modelSpec ?? ModelLocator.file(Self.modelFileName)
            model = try VocalExpressionModel(specURL: url)
        }
        pipeline = VoicePipeline(model: model, options: options.segmentation)
    }

    /// Model name and version for the audit log; nil when measures only.
    public var modelVersion: String? { model?.spec.name }

    /// Analyses one file; the analysis is in the audit log before this returns.
    public func analyze(audioAt url: URL) throws -> VoiceAnalysis {
        let analysis = try analyzeUnaudited(audioAt: url)
        let produced: Set<OutputKind> = analysis.segments.contains { $0.expression != nil }
            ? [.measures, .expressions] : [.measures]
        try governance.record(inputDigest: try Governance.digest(fileAt: url), source: url.path, produced: produced,
                              modelVersion: modelVersion, decision: decision)
        return analysis
    }

    /// For callers that audit the same file themselves (the video analyser records the video once).
    func analyzeUnaudited(audioAt url: URL) throws -> VoiceAnalysis {
        try pipeline.analyze(path: url.path)
    }

    /// For sound already decoded: 16 kHz mono floats in [-1, 1].
    public func analyze(samples: [Float], source: String) throws -> VoiceAnalysis {
        try pipeline.analyze(samples: samples, source: source)
    }
}
