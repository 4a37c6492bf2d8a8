/// The JSON written beside an expression model at export (Models/expression.json): how to turn a face into the
/// network's input, and how to read its outputs. Swift reads it so its preprocessing cannot drift from training.
public struct ExpressionModelSpec: Sendable, Codable, Hashable {
    public struct Input: Sendable, Codable, Hashable {
        public var name: String
        public var width: Int
        public var height: Int
        public var channels: Int
        public var scale: Double
        public var mean: Double
        public var std: Double
    }

    /// The network sees a `crop` of a `size`×`size` face framed like FER2013.
    public struct Frame: Sendable, Codable, Hashable {
        public var size: Int
        public var crop: [Int]
    }

    public struct Head: Sendable, Codable, Hashable {
        /// Calibration for one un-mirrored view, when the headline figures use flip averaging.
        public struct Calibration: Sendable, Codable, Hashable {
            public var temperature: Double
            public var abstainThreshold: Double

            public init(temperature: Double, abstainThreshold: Double) {
                self.temperature = temperature
                self.abstainThreshold = abstainThreshold
            }

            private enum CodingKeys: String, CodingKey {
                case temperature
                case abstainThreshold = "abstain_threshold"
            }
        }

        public var output: String
        public var classes: [String]
        public var temperature: Double
        public var abstainThreshold: Double
        public var perClassRecall: [String: Double]?
        public var singleView: Calibration?
        /// Calibrations under other class priors than the training data's (`ExpressionPrior`), by name.
        public var priors: [String: PriorCalibration]?

        /// One prior's log class frequencies and its own temperature and threshold (flip-averaged, and for one
        /// view), fitted on PublicTest.
        public struct PriorCalibration: Sendable, Codable, Hashable {
            /// log of the training prior, subtracted from the tempered logits.
            public var logPrior: [Double]
            public var temperature: Double
            public var abstainThreshold: Double
            public var singleView: Calibration?

            public init(logPrior: [Double], temperature: Double, abstainThreshold: Double, singleView: Calibration?) {
                self.logPrior = logPrior
                self.temperature = temperature
                self.abstainThreshold = abstainThreshold
                self.singleView = singleView
            }

            private enum CodingKeys: String, CodingKey {
                case logPrior = "log_prior", temperature
                case abstainThreshold = "abstain_threshold"
                case singleView = "single_view"
            }
        }

        private enum CodingKeys: String, CodingKey {
            case output, classes, temperature, priors
            case abstainThreshold = "abstain_threshold"
            case perClassRecall = "per_class_recall"
            case singleView = "single_view"
        }

        /// The priors this head can answer under.
        public var availablePriors: [ExpressionPrior] {
            ExpressionPrior.allCases.filter { $0 == .natural || priors?[$0.rawValue] != nil }
        }

        /// Temperature, threshold and the log prior to subtract for `prior` and the view setting in use.
        public func calibration(prior: ExpressionPrior, flipAveraged: Bool, model: String) throws
            -> (calibration: Calibration, logPrior: [Double]?) {
            if prior == .natural { return (calibration(flipAveraged: flipAveraged), nil) }
            guard let p = priors?[prior.rawValue], p.logPrior.count == classes.count else {
                throw AnalysisError.priorNotCalibrated(prior: prior.rawValue, model: model,
                                                       available: availablePriors.map(\.rawValue))
            }
            if !flipAveraged, let single = p.singleView { return (single, p.logPrior) }
            return (Calibration(temperature: p.temperature, abstainThreshold: p.abstainThreshold), p.logPrior)
        }

        /// The temperature and threshold fitted for the view setting in use: logits averaged over a face and its
        /// mirror are less spread than one view's, so each setting has its own fit.
        public func calibration(flipAveraged: Bool) -> Calibration {
            if !flipAveraged, let singleView { return singleView }
            return Calibration(temperature: temperature, abstainThreshold: abstainThreshold)
        }
    }

    public var schema: String
    public var name: String
    public var version: String
    public var input: Input
    public var frame: Frame
    public var heads: [String: Head]
    public var flipAverage: Bool?
    public var sha256: String?

    private enum CodingKeys: String, CodingKey {
        case schema, name, version, input, frame, heads, sha256
        case flipAverage = "flip_average"
    }

    /// Checks the parts Mien relies on; returns a reason when the file cannot be used.
    public func problems() -> [String] {
        var out: [String] = []
        if !schema.hasPrefix("mien-model/") { out.append("schema is \"\(schema)\", expected mien-model/1") }
        if input.channels != 1 { out.append("input.channels must be 1 (grey), is \(input.channels)") }
        if input.width <= 0 || input.height <= 0 { out.append("input size must be positive") }
        if frame.crop.count != 4 { out.append("frame.crop must be [x, y, width, height]") }
        else if frame.crop[0] < 0 || frame.crop[1] < 0 || frame.crop[0] + frame.crop[2] > frame.size
                    || frame.crop[1] + frame.crop[3] > frame.size || frame.crop[2] <= 0 || frame.crop[3] <= 0 {
            out.append("frame.crop \(frame.crop) does not fit in a \(frame.size)-pixel frame")
        }
        if input.std == 0 { out.append("input.std must not be 0") }
        guard let ferplus = heads["ferplus"] else { return out + ["heads.ferplus is missing"] }
        if ferplus.classes.count != 8 { out.append("heads.ferplus must have 8 classes") }
        if ferplus.temperature <= 0 { out.append("heads.ferplus.temperature must be positive") }
        return out
    }
}
