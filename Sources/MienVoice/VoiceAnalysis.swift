import MienCore

/// One stretch of speech: when, its prosody, and (where the purpose allows and a model is present) its calibrated
/// vocal-expression estimate.
public struct VoiceSegment: Sendable, Codable {
    public var index: Int
    public var start: Double
    public var end: Double
    public var prosody: ProsodyMeasures
    public var expression: ExpressionEstimate?
}

/// Everything `mien voice` says about one sound. Schema "mien/1", kind "voice"; documented in docs/VOICE.md.
public struct VoiceAnalysis: Sendable, Codable {
    public var schema = "mien/1"
    public var kind = "voice"
    public var source: String
    public var audio: AudioSourceInfo?
    /// Seconds of sound decoded (not the container's claim).
    public var duration: Double
    public var segments: [VoiceSegment]
    public var seconds: [VoiceSecond]
    /// Prosody over all speech in the sound (segment measures weighted by their speech or voiced time).
    public var summary: ProsodyMeasures
    /// Model name, or nil when estimates were not asked for (--measures-only) or no model was loaded.
    public var expressionModel: String?
    public var basis: String?
    public var notes: [String]
}
