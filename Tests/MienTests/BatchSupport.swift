import Foundation
import Mien
import MienStore
import MienVision
import MienTesting
import XCTest

/// Corpora and process control for the `mien batch` tests.
enum BatchSupport {
    static let sharedData = TestSupport.repository.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// `count` FER2013 PrivateTest images written as PNG files into `folder`; skips when the data is absent.
    static func writeFER2013(_ count: Int, into folder: URL) throws {
        let directory = sharedData.appendingPathComponent("fer2013")
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("labels.csv").path) else {
            throw XCTSkip("FER2013 not found at \(directory.path) (see ../shared/data/fer2013/README.md)")
        }
        let data = try FER2013.load(from: directory, splits: [.privateTest])
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<min(count, data.rows.count) {
            let image = try Image(pixels: Array(data.image(at: i)), width: FER2013.side, height: FER2013.side, channels: 1)
            try image.write(to: folder.appendingPathComponent(String(format: "fer_%05d.png", data.rows[i].index)))
        }
    }

    /// One RAVDESS speech clip; skips when the data is absent.
    static func ravdessClip() throws -> URL {
        let url = sharedData.appendingPathComponent("voice/ravdess/Actor_01/03-01-01-01-01-01-01.flac")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("RAVDESS not found at \(url.path) (see ../shared/data/voice/ravdess/README.md)")
        }
        return url
    }

    static let sampleVideo = TestSupport.sample("pexels_wolfgang_langer_3063838_expressions.mp4")

    /// Starts `mien` without waiting (output to files in `home`), for tests that kill it.
    static func start(_ arguments: [String], home: URL) throws -> Process {
        let process = Process()
        process.executableURL = TestSupport.mien
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["MIEN_HOME"] = home.path
        process.environment = env
        let log = home.appendingPathComponent("mien-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        // One handle for both streams: two would each write from offset 0 over the other.
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        logs.set(process.processIdentifier, log)
        return process
    }

    /// What a process started by `start` wrote to standard output and error.
    static func log(of process: Process) -> String {
        logs.get(process.processIdentifier).flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    private static let logs = LogRegistry()

    /// @unchecked Sendable: `paths` is only touched under `lock`.
    final class LogRegistry: @unchecked Sendable {
        private let lock = NSLock()
        private var paths: [Int32: URL] = [:]
        func set(_ pid: Int32, _ url: URL) { lock.withLock { paths[pid] = url } }
        func get(_ pid: Int32) -> URL? { lock.withLock { paths[pid] } }
    }

    static func killHard(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The finished tasks of a run file: input → (attempts, finished time).
    static func finishedTasks(_ runFile: URL) throws -> [String: FinishedTask] {
        guard FileManager.default.fileExists(atPath: runFile.path) else { return [:] }
        let store = try SQLiteJobStore(url: runFile, exclusive: false)
        guard try store.manifest() != nil else { return [:] }
        var done: [String: FinishedTask] = [:]
        try store.forEachTask { task, rows in
            if task.state == .done {
                done[task.input] = FinishedTask(attempts: task.attempts, finished: task.finished ?? 0, rows: rows.count)
            }
        }
        return done
    }

    struct FinishedTask: Equatable {
        var attempts: Int
        var finished: Double
        var rows: Int
    }
}
