import Foundation
import MienCore

/// Finds Mien's bundled model files without any network access.
///
/// Search order: $MIEN_MODELS; `Models/` next to the executable's package checkout (…/.build/<config>/mien →
/// …/Models); /usr/local/share/mien/Models; /usr/share/mien/Models.
public enum ModelLocator {
    public static func directory() -> URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["MIEN_MODELS"] { candidates.append(URL(fileURLWithPath: env)) }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("Models"))
            dir = dir.deletingLastPathComponent()
        }
        // Tests run from the package root; #filePath points into Sources/Mien.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(source.appendingPathComponent("Models"))
        candidates.append(URL(fileURLWithPath: "/usr/local/share/mien/Models"))
        candidates.append(URL(fileURLWithPath: "/usr/share/mien/Models"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("README.md").path) }
    }

    /// The URL of a named model file, or an error that says where Mien looked and what to do.
    public static func file(_ name: String) throws -> URL {
        guard let dir = directory() else {
            throw AnalysisError.modelMissing(path: name, hint: "No Models/ directory found; set MIEN_MODELS to the "
                                             + "Models folder of a Mien checkout.")
        }
        let url = dir.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw AnalysisError.modelMissing(path: url.path, hint: "The file should ship with Mien in Models/; "
                                             + "restore it with `git checkout Models/`.")
        }
        return url
    }
}
