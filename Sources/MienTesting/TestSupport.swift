import Foundation
import XCTest

/// Paths and the one process runner every test target shares: the `mien` binary, shell pipelines around it, and
/// the sample and fixture files.
public enum TestSupport {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let samples = repository.appendingPathComponent("Samples")
    public static let fixtures = repository.appendingPathComponent("Tests/Fixtures/images")
    public static let models = repository.appendingPathComponent("Models")
    /// `../shared/data` beside the checkout (FER2013, RAVDESS); tests that need it skip when it is absent.
    public static let sharedData = repository.deletingLastPathComponent().appendingPathComponent("shared/data")

    public static func sample(_ name: String) -> URL { samples.appendingPathComponent(name) }
    public static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// The `mien` executable SwiftPM built next to the test bundle.
    public static var mien: URL {
        var candidates = [Bundle.main.bundleURL.appendingPathComponent("mien")]
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("mien"))
        }
        candidates.append(repository.appendingPathComponent(".build/debug/mien"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[candidates.count - 1]
    }

    /// A fresh empty directory, removed when the test ends.
    public static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mien-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Both streams, for assertions that do not care which one a message went to.
        public var output: String { stdout + stderr }
    }

    /// Runs `mien` with arguments; MIEN_HOME points at `home` so no test touches the user's audit log.
    /// `environment` adds to (and wins over) the test process's environment.
    public static func run(_ arguments: [String], home: URL, environment: [String: String] = [:],
                           timeout: TimeInterval = 120) throws -> Run {
        try process(mien, arguments, environment: environment.merging(["MIEN_HOME": home.path]) { $1 },
                    timeout: timeout, what: "mien \(arguments.joined(separator: " "))")
    }

    /// Runs `bash -c script` with MIEN (the binary) and MIEN_HOME set, killed at `timeout`.
    public static func shell(_ script: String, home: URL, environment: [String: String] = [:],
                             timeout: TimeInterval = 60) throws -> Run {
        let env = ["MIEN_HOME": home.path, "MIEN": mien.path].merging(environment) { $1 }
        return try process(URL(fileURLWithPath: "/bin/bash"), ["-c", script], environment: env, timeout: timeout,
                           what: "`\(script)`")
    }

    /// Runs an executable to completion with output in files (a chatty process can never block on a full pipe);
    /// fails the test and terminates it when it outlives `timeout`.
    public static func process(_ executable: URL, _ arguments: [String], environment: [String: String],
                               timeout: TimeInterval, what: String) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("mien-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("mien-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(what) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
