/// What Mien says about a face's expression: calibrated probabilities, a label or "uncertain", and the basis.
///
/// It describes a *facial expression* as people label it, never a felt emotion: the same feeling shows in many
/// faces and the same face follows from many feelings (Barrett et al. 2019). `basis` says so in every output.
public struct ExpressionEstimate: Sendable, Codable, Hashable {
    public static let basisText = "facial expression; not a measure of felt emotion"
    public static let uncertainLabel = "uncertain"

    /// Class names in model order, with temperature-calibrated probabilities summing to 1.
    public var classes: [String]
    public var probabilities: [Double]
    /// Top class, or "uncertain" when `confidence` is below `threshold`.
    public var label: String
    public var confidence: Double
    public var threshold: Double
    public var valence: Double
    public var arousal: Double
    public var basis: String
    public var model: String
    /// Why the estimate says "uncertain" when it is not low confidence (e.g. a head turned beyond the model's range).
    public var abstainReason: String?
    /// The class prior the probabilities are computed under (`ExpressionPrior`); nil for estimates without one
    /// (the voice model).
    public var prior: String?
    /// The label set the classes answer in (`ExpressionLabelSet`: perceived or intended); nil for estimates without
    /// one (the voice model).
    public var labelSet: String?

    public init(classes: [String], probabilities: [Double], threshold: Double, model: String) {
        self.classes = classes
        self.probabilities = probabilities
        let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        confidence = probabilities.isEmpty ? 0 : probabilities[top]
        self.threshold = threshold
        label = confidence >= threshold && !classes.isEmpty ? classes[top] : Self.uncertainLabel
        let va = Circumplex.project(classes: classes, probabilities: probabilities)
        valence = va.valence
        arousal = va.arousal
        basis = Self.basisText
        self.model = model
    }

    public var isUncertain: Bool { label == Self.uncertainLabel }

    /// Abstains when the head is turned beyond `limit` degrees (largest of |yaw|, |pitch|, |roll|); 0 = no limit.
    public func gated(by pose: HeadPose?, limit: Double) -> ExpressionEstimate {
        guard limit > 0, let pose, pose.magnitude > limit else { return self }
        let text = "head rotated \(Int(pose.magnitude.rounded()))° (beyond \(Int(limit.rounded()))°): outside the model's range"
        return abstaining(because: text)
    }

    /// The same estimate, abstaining for a stated reason (probabilities are kept).
    public func abstaining(because reason: String) -> ExpressionEstimate {
        var copy = self
        copy.label = Self.uncertainLabel
        copy.abstainReason = reason
        return copy
    }
    /// The most probable class even when abstaining (for displays that show "uncertain (happiness 0.41)").
    public var topClass: String {
        let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        return classes.isEmpty ? "" : classes[top]
    }

    public func probability(of name: String) -> Double? {
        classes.firstIndex(of: name).map { probabilities[$0] }
    }

    private enum CodingKeys: String, CodingKey {
        case label, confidence, threshold, probabilities, valence, arousal, basis, model
        case derived
        case abstainReason = "abstain_reason"
        case prior
        case labelSet = "label_set"
    }

    private struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        func r(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(r(confidence), forKey: .confidence)
        try c.encode(threshold, forKey: .threshold)
        var p = c.nestedContainer(keyedBy: DynamicKey.self, forKey: .probabilities)
        for (name, value) in zip(classes, probabilities) { try p.encode(r(value), forKey: DynamicKey(stringValue: name)) }
        try c.encode(r(valence), forKey: .valence)
        try c.encode(r(arousal), forKey: .arousal)
        try c.encode("valence and arousal are a fixed circumplex projection of the probabilities, not trained",
                     forKey: .derived)
        try c.encode(basis, forKey: .basis)
        try c.encode(model, forKey: .model)
        try c.encodeIfPresent(abstainReason, forKey: .abstainReason)
        try c.encodeIfPresent(prior, forKey: .prior)
        try c.encodeIfPresent(labelSet, forKey: .labelSet)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let p = try c.nestedContainer(keyedBy: DynamicKey.self, forKey: .probabilities)
        // JSON objects are unordered: restore the canonical FER+ order where the names allow.
        let names = p.allKeys.map(\.stringValue)
        let ordered = Circumplex.ferPlusOrder.filter(names.contains) + names.filter { !Circumplex.ferPlusOrder.contains($0) }.sorted()
        classes = ordered
        probabilities = try ordered.map { try p.decode(Double.self, forKey: DynamicKey(stringValue: $0)) }
        label = try c.decode(String.self, forKey: .label)
        confidence = try c.decode(Double.self, forKey: .confidence)
        threshold = try c.decode(Double.self, forKey: .threshold)
        valence = try c.decode(Double.self, forKey: .valence)
        arousal = try c.decode(Double.self, forKey: .arousal)
        basis = try c.decode(String.self, forKey: .basis)
        model = try c.decode(String.self, forKey: .model)
        abstainReason = try c.decodeIfPresent(String.self, forKey: .abstainReason)
        prior = try c.decodeIfPresent(String.self, forKey: .prior)
        labelSet = try c.decodeIfPresent(String.self, forKey: .labelSet)
    }
}
