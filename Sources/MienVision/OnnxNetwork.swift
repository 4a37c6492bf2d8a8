import CMienVision
import Foundation
import MienCore

/// An ONNX network run by OpenCV's dnn module. Not thread-safe: OpenCV's Net keeps per-forward state, so each
/// thread or task uses its own instance (they are small) or serialises calls.
public final class OnnxNetwork: @unchecked Sendable {
    // Safe to share: every forward pass runs under `lock`; the handle is not touched elsewhere after loading.
    private let handle: OpaquePointer
    public let path: String
    private let lock = NSLock()

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AnalysisError.modelMissing(path: path, hint: "Reinstall Mien or pass the right --models directory.")
        }
        var err = newError()
        guard let h = mien_net_load_onnx(path, &err) else {
            throw AnalysisError.modelInvalid(path: path, reason: bridgeFailure(err, stage: "load").description)
        }
        handle = h
        self.path = path
    }

    deinit { mien_net_free(handle) }

    /// Runs an NCHW float input (`shape` = [n, c, h, w]) and returns each named output flattened.
    public func forward(_ input: [Float], shape: [Int], inputName: String, outputs: [String]) throws -> [[Float]] {
        precondition(shape.count == 4 && input.count == shape.reduce(1, *), "input does not match its shape")
        lock.lock()
        defer { lock.unlock() }
        var err = newError()
        var results = [UnsafeMutablePointer<Float>?](repeating: nil, count: outputs.count)
        var counts = [Int](repeating: 0, count: outputs.count)
        let cNames = outputs.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let ok = input.withUnsafeBufferPointer { inBuf in
            cNames.map { UnsafePointer($0) }.withUnsafeBufferPointer { namesBuf in
                mien_net_forward(handle, inBuf.baseAddress, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]),
                                 Int32(shape[3]), inputName, namesBuf.baseAddress, Int32(outputs.count), &results,
                                 &counts, &err)
            }
        }
        guard ok == 1 else { throw bridgeFailure(err, stage: "network \(URL(fileURLWithPath: path).lastPathComponent)") }
        return zip(results, counts).map { pointer, count in
            defer { mien_free_floats(pointer) }
            guard let pointer else { return [] }
            return Array(UnsafeBufferPointer(start: pointer, count: count))
        }
    }
}

/// Lets callers pin OpenCV to one core for single-core benchmarks, or free it for throughput.
public enum VisionThreads {
    public static func set(_ n: Int) { mien_set_num_threads(Int32(n)) }
}
