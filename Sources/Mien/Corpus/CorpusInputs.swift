import Foundation
import MienStore
import MienVision
#if canImport(Glibc)
import Glibc
#endif

/// One file of a corpus and how it is analysed.
public struct CorpusInput: Sendable, Hashable {
    /// Absolute, standardised path: the task's identity in the run file.
    public var path: String
    public var kind: MediaKind

    public init(path: String, kind: MediaKind) {
        self.path = path
        self.kind = kind
    }
}

/// Turns `mien batch` arguments into corpus files: files, folders (recursive), globs (`photos/*.jpg`), and list
/// files (`@list.txt`: one argument a line, `#` comments; relative lines are read from the current folder).
///
/// A folder contributes the images, videos and audio files in it and below it (hidden files skipped; other files
/// counted in `skipped`). A file named directly is always a task, whatever its extension: when it cannot be read or
/// decoded, that task fails with the reason, and the run goes on.
public enum CorpusInputs {
    public static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "avi", "mkv", "webm", "mpg", "mpeg", "wmv"]
    public static let audioExtensions: Set<String> = ["wav", "flac", "mp3", "ogg", "oga", "opus", "m4a", "aac"]

    public struct Expansion: Sendable {
        public var inputs: [CorpusInput] = []
        /// Files in folders that are neither images, videos nor audio.
        public var skipped = 0
        /// Arguments that gave nothing (an empty folder, a glob with no match, an unreadable list file).
        public var warnings: [String] = []
    }

    public static func kind(ofPath path: String) -> MediaKind? {
        let ext = (path as NSString).pathExtension.lowercased()
        if ImageDecoder.imageExtensions.contains(ext) { return .image }
        if videoExtensions.contains(ext) { return .video }
        if audioExtensions.contains(ext) { return .audio }
        return nil
    }

    public static func expand(_ arguments: [String]) -> Expansion {
        var expansion = Expansion()
        var seen = Set<String>()
        func add(_ path: String, named: Bool) {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard let kind = kind(ofPath: absolute) ?? (named ? .image : nil) else {
                expansion.skipped += 1
                return
            }
            if seen.insert(absolute).inserted { expansion.inputs.append(CorpusInput(path: absolute, kind: kind)) }
        }
        func visit(_ argument: String, depth: Int) {
            if argument.hasPrefix("@"), depth < 4 {
                let list = String(argument.dropFirst())
                guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
                    expansion.warnings.append("\(list): cannot read the list file")
                    return
                }
                for line in text.split(whereSeparator: \.isNewline) {
                    let entry = line.trimmingCharacters(in: .whitespaces)
                    if !entry.isEmpty && !entry.hasPrefix("#") { visit(entry, depth: depth + 1) }
                }
                return
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    let before = expansion.inputs.count
                    for file in filesBelow(argument) { add(file, named: false) }
                    if expansion.inputs.count == before {
                        expansion.warnings.append("\(argument): no images, videos or audio files in this folder")
                    }
                } else {
                    add(argument, named: true)
                }
            } else if argument.contains(where: { "*?[".contains($0) }) {
                let matches = glob(argument)
                if matches.isEmpty { expansion.warnings.append("\(argument): no file matches this pattern") }
                for match in matches { visit(match, depth: depth + 1) }
            } else {
                add(argument, named: true)   // a missing file becomes a failed task that says so
            }
        }
        for argument in arguments { visit(argument, depth: 0) }
        return expansion
    }

    /// Regular files below `folder`, sorted, hidden ones skipped.
    static func filesBelow(_ folder: String) -> [String] {
        let root = URL(fileURLWithPath: folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else { return [] }
        var files: [String] = []
        for case let url as URL in walker {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { files.append(url.path) }
        }
        return files.sorted()
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in result.gl_pathv[i].map { String(cString: $0) } }.sorted()
    }
}
