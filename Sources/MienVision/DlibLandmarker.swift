import CMienVision
import Foundation
import MienCore

/// dlib's 68-point shape predictor (Kazemi & Sullivan 2014), from Debian's libdlib-data.
// Safe to share: the handle is read-only after loading; the bridge's fit is a const function with all scratch
// space on its own stack (landmarks.cpp, `packed_predictor::fit`; dlib's `shape_predictor::operator()` is const).
public final class DlibLandmarker: LandmarkLocating, @unchecked Sendable {
    private let handle: OpaquePointer
    public static let debianPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

    /// How the model is read and run: `packed` (default) re-lays dlib's trees out for the cache and gives the same
    /// points about twice as fast, read by Mien's own decoder of dlib's format (5x faster to load); the other two
    /// exist to test those claims: `dlibReference` is dlib's own `shape_predictor`, `packedViaDlib` the packed
    /// layout read through dlib's deserialisers.
    public enum Implementation: Int32, Sendable { case packed = 0, dlibReference = 1, packedViaDlib = 2 }

    /// Loads the predictor from `path`, or from $MIEN_LANDMARK_MODEL, or from Debian's install path.
    public init(path: String? = nil, implementation: Implementation = .packed) throws {
        let chosen = path ?? ProcessInfo.processInfo.environment["MIEN_LANDMARK_MODEL"] ?? Self.debianPath
        guard FileManager.default.fileExists(atPath: chosen) else {
            throw AnalysisError.modelMissing(
                path: chosen,
                hint: "Install it with `apt-get install libdlib-data` (Debian/Ubuntu), or set MIEN_LANDMARK_MODEL.")
        }
        var err = newError()
        guard let h = mien_landmarker_load_implementation(chosen, implementation.rawValue, &err) else {
            throw AnalysisError.modelInvalid(path: chosen, reason: bridgeFailure(err, stage: "landmarks").description)
        }
        handle = h
    }

    deinit { mien_landmarker_free(handle) }

    /// A hash of the packed model as loaded (0 for `dlibReference`): equal for the same file read either way.
    public var fingerprint: UInt64 { mien_landmarker_fingerprint(handle) }

    public var layout: LandmarkLayout { .ibug68 }

    public func locate(in image: Image, box: FaceBox) throws -> FaceLandmarks {
        var xy = [Float](repeating: 0, count: 136)
        var err = newError()
        let b = mien_box(x: Float(box.rect.x), y: Float(box.rect.y), width: Float(box.rect.width),
                         height: Float(box.rect.height), score: Float(box.score))
        guard mien_landmarker_fit(handle, image.handle, b, &xy, &err) == 1 else {
            throw bridgeFailure(err, stage: "landmarks")
        }
        let points = (0..<68).map { Point2(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
        guard let landmarks = FaceLandmarks(layout: .ibug68, points: points) else { throw AnalysisError.backend(stage: "landmarks", reason: "wrong point count") }
        return landmarks
    }
}
