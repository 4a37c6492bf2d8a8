import CMienVision
import Foundation
import MienCore

/// dlib's HOG + linear-SVM frontal face detector (Dalal & Triggs 2005; dlib's 2014 model). Finds frontal and
/// mildly turned faces of about 80 px and up (40 px with one up-sampling, at ~4× the cost).
// Safe to share: dlib's scanner keeps scratch buffers, so every call into it holds `lock` (the handle itself is
// set once in init); an engine's `InstancePool` gives each thread its own instance, so the lock is uncontended there.
public final class HOGFaceDetector: FaceDetecting, @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    public let upsample: Int
    /// SVM margin below which boxes are dropped (dlib's default 0).
    public let minScore: Double

    public init(upsample: Int = 0, minScore: Double = 0) throws {
        self.minScore = minScore
        var err = newError()
        guard let h = mien_hog_detector_create(&err) else { throw bridgeFailure(err, stage: "HOG detector") }
        handle = h
        self.upsample = upsample
    }

    deinit { mien_hog_detector_free(handle) }

    public var name: String { upsample > 0 ? "dlib-hog-up\(upsample)" : "dlib-hog" }

    public func detect(in image: Image) throws -> [FaceBox] {
        var boxes = [mien_box](repeating: mien_box(), count: 256)
        var err = newError()
        let n = lock.withLock {
            mien_hog_detect(handle, image.handle, Int32(upsample), &boxes, Int32(boxes.count), &err)
        }
        guard n >= 0 else { throw bridgeFailure(err, stage: "face detection") }
        return boxes.prefix(Int(n)).filter { Double($0.score) >= minScore }.map {
            FaceBox(rect: Rect(x: Double($0.x), y: Double($0.y), width: Double($0.width), height: Double($0.height)),
                    score: Double($0.score))
        }
    }
}

/// OpenCV's Viola–Jones cascades (Haar or LBP) from Debian's opencv-data, kept for comparison benchmarks.
// Safe to share: OpenCV's cascade keeps per-call state, so every call into it holds `lock` (the handle itself is
// set once in init); an engine's `InstancePool` gives each thread its own instance, so the lock is uncontended there.
public final class CascadeFaceDetector: FaceDetecting, @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    public let name: String
    public let minSize: Int

    public init(path: String, name: String, minSize: Int = 30) throws {
        self.minSize = minSize
        var err = newError()
        guard let h = mien_cascade_load(path, &err) else {
            throw AnalysisError.modelMissing(path: path, hint: "Install Debian's opencv-data package.")
        }
        handle = h
        self.name = name
    }

    deinit { mien_cascade_free(handle) }

    public func detect(in image: Image) throws -> [FaceBox] {
        var boxes = [mien_box](repeating: mien_box(), count: 256)
        var err = newError()
        let n = lock.withLock {
            mien_cascade_detect(handle, image.handle, Int32(minSize), &boxes, Int32(boxes.count), &err)
        }
        guard n >= 0 else { throw bridgeFailure(err, stage: "face detection") }
        return boxes.prefix(Int(n)).map {
            FaceBox(rect: Rect(x: Double($0.x), y: Double($0.y), width: Double($0.width), height: Double($0.height)),
                    score: Double($0.score))
        }
    }
}
