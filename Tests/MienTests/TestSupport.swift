import Foundation
import XCTest

/// Paths and process helpers shared by the end-to-end tests.
enum TestSupport {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let samples = repository.appendingPathComponent("Samples")
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures/images")

    static func sample(_ name: String) -> URL { samples.appendingPathComponent(name) }
    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// The `mien` executable SwiftPM built next to the test bundle.
    static var mien: URL {
        let products = Bundle.main.bundleURL
        let direct = products.appendingPathComponent("mien")
        if FileManager.default.fileExists(atPath: direct.path) { return direct }
        return repository.appendingPathComponent(".build/debug/mien")
    }

    /// A fresh empty directory, removed when the test ends.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mien-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Both streams, for assertions that do not care which one a message went to.
        var output: String { stdout + stderr }
    }

    /// Runs `mien` with arguments; MIEN_HOME points at `home` so no test touches the user's audit log.
    /// `environment` adds to (and wins over) the test process's environment.
    static func run(_ arguments: [String], home: URL, environment: [String: String] = [:],
                    timeout: TimeInterval = 120) throws -> Run {
        let process = Process()
        process.executableURL = mien
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["MIEN_HOME"] = home.path
        process.environment = env.merging(environment) { $1 }
        // Output goes to files, not pipes: a chatty process can never block on a full pipe.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("mien-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("mien-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
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
            XCTFail("mien \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
