/// The plain-language notice for the people being analysed (EU AI Act art. 50(3): deployers of an emotion
/// recognition system inform the natural persons exposed to it). `mien notice` prints it; HTML reports embed
/// `sections`.
public struct Notice: Sendable, Hashable {
    public var purpose: Purpose
    public var operatorName: String
    public var contact: String?
    public var retention: Retention
    /// Headline numbers from the model card, or nil when no card is available (the notice then says where to look).
    public var accuracy: ModelAccuracy?
    public var policy: String

    public init(purpose: Purpose, operatorName: String, contact: String? = nil, retention: Retention = .none,
                accuracy: ModelAccuracy? = nil, policy: Policy = .euAIAct) {
        self.purpose = purpose
        self.operatorName = operatorName
        self.contact = contact
        self.retention = retention
        self.accuracy = accuracy
        self.policy = policy.name
        expressionRule = policy.rule(for: purpose, .expressions)
    }

    private var expressionRule: PolicyRule

    public struct Section: Sendable, Codable, Hashable {
        public var title: String
        public var text: String
    }

    public var title: String { "Notice: automated analysis of faces and voices" }

    public var sections: [Section] {
        [
            Section(title: "Who and why", text: "\(operatorName) uses Mien, software that analyses faces and "
                + "voices in pictures, video or audio. Declared purpose: \(purpose.summary) "
                + "('\(purpose.rawValue)')."),
            Section(title: "What is measured", text: "The position of 68 points on each face, how the head is "
                + "turned and tilted, how much parts of the face move, and for audio the pitch, loudness and pace "
                + "of the voice. Mien does not recognise who you are and does not compare faces."),
            Section(title: "What is inferred", text: inferredText),
            Section(title: "How accurate it is", text: accuracyText),
            Section(title: "What is kept", text: retention.plainWords + " A record of each analysis is kept in "
                + "the operator's audit log: time, purpose, what was produced, and a fingerprint (SHA-256) of the "
                + "input from which the picture cannot be recovered."),
            Section(title: "Questions", text: contact.map { "Ask \(operatorName): \($0)." }
                ?? "Ask \(operatorName) about this analysis and about your data."),
        ]
    }

    private var inferredText: String {
        let meaning = "An expression is not a feeling: people show the same feeling in different ways and the "
            + "same face for different feelings. The estimate says nothing reliable about what you feel, think or "
            + "intend, and must not be used to judge you."
        switch expressionRule {
        case .allowed:
            return "Estimates of facial (and vocal) expressions, such as \"looks happy\" or \"sounds tense\", "
                + "each with a confidence, or \"uncertain\" when the software cannot tell. " + meaning
        case .requiresOverride(let citation):
            return "Expression estimates are produced only when the operator records an explicit override with "
                + "a reason, which is kept in the audit log (\(citation.rule)). " + meaning
        case .refused(let citation):
            return "Nothing about emotions or expressions: \(citation.rule) does not allow it for this purpose, "
                + "and Mien refuses to produce it. Only movement is measured."
        }
    }

    private var accuracyText: String {
        let limits = "Accuracy is lower on faces turned away, partly covered, badly lit or small, and on people "
            + "unlike those in the training photos."
        guard let accuracy, !accuracy.headlines.isEmpty else {
            return "See the model card (Models/MODEL_CARD.md) for the measured accuracy of the expression model. "
                + limits
        }
        return "Measured on held-out test data (\(accuracy.source)): "
            + accuracy.headlines.joined(separator: "; ") + ". " + limits
    }

    /// The notice as plain text, wrapped at `width` columns.
    public func plainText(width: Int = 88) -> String {
        var out = title + "\n" + String(repeating: "=", count: title.count) + "\n"
        for section in sections {
            out += "\n" + section.title + "\n" + Self.wrap(section.text, width: width) + "\n"
        }
        return out
    }

    static func wrap(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}

/// Headline accuracy numbers of the expression model, as the model card states them.
public struct ModelAccuracy: Sendable, Codable, Hashable {
    public var model: String
    /// Short statements, e.g. "accuracy 86.2% on FER+ PrivateTest".
    public var headlines: [String]
    /// Where the numbers come from, e.g. "Models/MODEL_CARD.md".
    public var source: String

    public init(model: String, headlines: [String], source: String) {
        self.model = model
        self.headlines = headlines
        self.source = source
    }
}
