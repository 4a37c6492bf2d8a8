/// The class prior an expression estimate is computed under.
///
/// The model learned FER+'s label frequencies along with the faces (36% neutral, 26% happiness … 0.6% contempt), so
/// its raw probabilities lean toward neutral and happiness whatever the face. Under the `balanced` prior that
/// training prior is divided out (logit adjustment; Menon et al. 2021, "Long-tail learning via logit adjustment")
/// and every class is equally likely before the face is seen. Each prior has its own temperature and abstention
/// threshold, fitted on PublicTest (`mien calibrate-prior`) — the balanced one with every class weighted equally —
/// so each is calibrated for the population it assumes.
public enum ExpressionPrior: String, Sendable, Codable, Hashable, CaseIterable, CustomStringConvertible {
    /// The training data's class frequencies: right when the faces analysed are distributed like FER+'s web photos.
    case natural
    /// Every class equally likely a priori: for sets whose expressions are spread evenly over the classes (posed
    /// datasets, elicitation studies).
    case balanced

    /// Measured choice (Models/MODEL_CARD.md, "Prior"): natural. Dividing out the training prior lifts macro recall
    /// on FER+ PrivateTest (69.8% → 74.8%) and, on the maintainers' outside posed sets, accuracy by 2.5–9.5 points,
    /// but it costs 11.5 points of accuracy on FER+ (83.1% → 71.6%; neutral recall 0.84 → 0.55) and turns clear
    /// everyday faces uncertain (the angry close-up sample: "anger 0.89" → uncertain, disgust 0.49 / anger 0.46),
    /// because contempt and disgust (0.6% and 0.7% of training) are boosted ~150×. The default has to be safe for
    /// everyday faces; balanced is one option away for populations known to be balanced.
    public static let `default`: ExpressionPrior = .natural

    public var description: String { rawValue }

    /// Parses a command-line or request value; the error lists the choices.
    public static func parse(_ text: String) throws -> ExpressionPrior {
        guard let prior = ExpressionPrior(rawValue: text.lowercased()) else {
            throw AnalysisError.unknownPrior(name: text, available: allCases.map(\.rawValue))
        }
        return prior
    }
}
