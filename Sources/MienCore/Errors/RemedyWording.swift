/// How a front end names the remedies an error suggests. The library's errors say *what* a person can do
/// ("ask for measures only"); each front end says *how* in its own words: command-line flags for the CLI, request
/// fields for the HTTP API. `description` uses the library's words.
public struct RemedyWording: Sendable, Hashable {
    /// How to ask for landmarks, pose and movement only.
    public var measuresOnly: String
    /// How an operator gives an explicit override with a reason.
    public var operatorOverride: String
    /// How to declare a purpose; `{purpose}` stands for its name.
    public var declarePurpose: String
    /// How to raise the pixel limit checked before decoding.
    public var pixelLimit: String

    public init(measuresOnly: String, operatorOverride: String, declarePurpose: String, pixelLimit: String) {
        self.measuresOnly = measuresOnly
        self.operatorOverride = operatorOverride
        self.declarePurpose = declarePurpose
        self.pixelLimit = pixelLimit
    }

    public func purpose(_ name: String) -> String {
        declarePurpose.replacing("{purpose}", with: name)
    }

    /// Swift callers of the library.
    public static let library = RemedyWording(
        measuresOnly: "request only .measures (AnalysisOptions.measuresOnly)",
        operatorOverride: "an explicit operator override with its reason (Governance.operatorOverride)",
        declarePurpose: "the purpose {purpose}",
        pixelLimit: "AnalysisOptions.maxPixels")

    /// The `mien` command line.
    public static let commandLine = RemedyWording(
        measuresOnly: "--measures-only",
        operatorOverride: "--operator-override \"<reason>\"",
        declarePurpose: "--purpose {purpose}",
        pixelLimit: "--max-megapixels")
}

/// An error whose message names remedies, rendered in a front end's words.
public protocol RemedyWorded: Error, CustomStringConvertible {
    func message(_ wording: RemedyWording) -> String
}

extension RemedyWorded {
    public var description: String { message(.library) }
}
