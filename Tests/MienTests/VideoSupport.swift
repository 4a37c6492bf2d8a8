import Foundation
import XCTest

/// Shared by the video tests: the sample video, and shell pipelines (ffmpeg into `mien live`).
enum VideoSupport {
    static let sample = TestSupport.sample("pexels_wolfgang_langer_3063838_expressions.mp4")
    static let sampleFrames = 472

    /// Runs `bash -c script` with MIEN and MIEN_HOME set; output goes to files, and the run is killed at `timeout`.
    static func shell(_ script: String, home: URL, timeout: TimeInterval = 60) throws -> TestSupport.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        var env = ProcessInfo.processInfo.environment
        env["MIEN_HOME"] = home.path
        env["MIEN"] = TestSupport.mien.path
        env["SAMPLE"] = sample.path
        process.environment = env
        let out = home.appendingPathComponent("shell-\(UUID().uuidString).out")
        let err = home.appendingPathComponent("shell-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("`\(script)` did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return TestSupport.Run(status: process.terminationStatus,
                               stdout: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
                               stderr: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }

    /// Parses every line of a JSONL file as a JSON object; fails the test on any invalid line.
    static func jsonLines(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { l in
            let object = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            if object == nil { XCTFail("invalid JSON line: \(l.prefix(200))", file: file, line: line) }
            return object
        }
    }

    /// CSV rows (the outputs never quote fields containing commas in numbers; labels have none).
    static func csvRows(_ url: URL) -> [[String]] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
