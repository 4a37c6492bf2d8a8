import Foundation

/// Where Mien keeps its files by default: `$MIEN_HOME`, else `$XDG_DATA_HOME/mien`, else `~/.local/share/mien`.
/// Nothing is created here until something is written.
public enum StoreLocation {
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["MIEN_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("mien", isDirectory: true)
        }
        let user = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return user.appendingPathComponent(".local/share/mien", isDirectory: true)
    }

    public static func auditDatabase(in home: URL) -> URL { home.appendingPathComponent("audit.sqlite") }
    public static func resultsDatabase(in home: URL) -> URL { home.appendingPathComponent("results.sqlite") }
    public static func sealKey(in home: URL) -> URL { home.appendingPathComponent("seal.key") }

    /// Creates the folder (0700: it holds the seal key and the logs) if missing.
    static func ensureDirectory(for file: URL) throws {
        let dir = file.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.path) {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }
}
