import MienCore

/// The versioned JSON document `mien analyze --json` writes (schema "mien/1", documented in docs/SCHEMA.md).
public struct AnalysisDocument: Sendable, Codable {
    public struct Failure: Sendable, Codable, Hashable {
        public var source: String
        public var error: String

        public init(source: String, error: String) {
            self.source = source
            self.error = error
        }
    }

    public var schema = "mien/1"
    public var generator: String
    public var purpose: String?
    public var outputs: [String]
    public var model: String?
    public var notice: String
    public var images: [ImageAnalysis]
    public var errors: [Failure]

    public static let noticeText = "Expression estimates describe facial expressions as annotators label them; a "
        + "facial expression is not a reliable read-out of felt emotion. Movement measures are geometric proxies "
        + "of FACS action units, not certified AU codings."

    public init(generator: String, purpose: String?, outputs: [String], model: String?, images: [ImageAnalysis],
                errors: [Failure]) {
        self.generator = generator
        self.purpose = purpose
        self.outputs = outputs
        self.model = model
        notice = Self.noticeText
        self.images = images
        self.errors = errors
    }
}
