import Foundation
import MienCore
import MienVoice

/// The front door for sound: `try VoiceAnalyzer().analyze(audioAt: url)` → a `VoiceAnalysis`.
///
/// Reads any file FFmpeg decodes (WAV, FLAC, OGG, MP3, a video's soundtrack), streamed in one-second chunks.
/// Like `Analyzer`, it runs under a `Session`: the purpose is authorised when the session is made (vocal expression
/// estimates count as `.expressions`), and every analysed file is in the audit log before `analyze` returns.
/// With `measuresOnly`, or when the policy grants measures only, no expression model is used: prosody only.
/// Safe to share between threads: each call runs its own pipeline; the model serialises its own forward passes.
public final class VoiceAnalyzer: Sendable {
    public struct Options: Sendable {
        public var measuresOnly = false
        public var segmentation = SegmentationOptions()
        /// The model's JSON; nil takes `voice_expression.json` from the engine's models (or `ModelLocator`).
        public var modelSpec: URL?
        public init(measuresOnly: Bool = false) { self.measuresOnly = measuresOnly }
    }

    public static let modelFileName = "voice_expression.json"
    public let options: Options
    public let session: Session
    public let model: VocalExpressionModel?

    /// Loads the voice model (when the purpose allows estimates) under `governance`.
    /// - Throws: `PolicyRefusal` when the purpose may not have what the options ask for (audited).
    public convenience init(options: Options = Options(), governance: Governance = .localDefault()) throws {
        let session = try Session(governance: governance, measuresOnly: options.measuresOnly)
        let model = session.grantsExpressions
            ? try VocalExpressionModel(specURL: try options.modelSpec ?? ModelLocator.file(Self.modelFileName)) : nil
        self.init(session: session, model: model, options: options)
    }

    /// An analyser over a shared engine's voice model (loaded on the engine's first voice request).
    public convenience init(engine: Engine, session: Session, options: Options = Options()) throws {
        let wanted = session.grantsExpressions && !options.measuresOnly
        let model = wanted ? try options.modelSpec.map(VocalExpressionModel.init(specURL:)) ?? engine.voiceModel() : nil
        self.init(session: session, model: model, options: options)
    }

    init(session: Session, model: VocalExpressionModel?, options: Options) {
        self.session = session
        self.model = model
        self.options = options
    }

    public var governance: Governance { session.governance }
    public var decision: PolicyDecision { session.decision }
    /// Model name and version for the audit log; nil when measures only.
    public var modelVersion: String? { model?.spec.name }

    /// Analyses one file; the analysis is in the audit log before this returns.
    public func analyze(audioAt url: URL) throws -> VoiceAnalysis {
        let digest = InputDigest(fileAt: url)
        let analysis = try analyzeUnaudited(audioAt: url)
        let produced: Set<OutputKind> = analysis.segments.contains { $0.expression != nil }
            ? [.measures, .expressions] : [.measures]
        try session.record(inputDigest: try digest.value(), source: url.path, produced: produced,
                           modelVersion: modelVersion, report: nil)
        return analysis
    }

    /// For callers that audit the same file themselves (the video analyser records the video once).
    func analyzeUnaudited(audioAt url: URL) throws -> VoiceAnalysis {
        try VoicePipeline(model: model, options: options.segmentation).analyze(path: url.path)
    }

    /// For sound already decoded: 16 kHz mono floats in [-1, 1]. Not audited: the caller records its source.
    public func analyze(samples: [Float], source: String) throws -> VoiceAnalysis {
        try VoicePipeline(model: model, options: options.segmentation).analyze(samples: samples, source: source)
    }
}
