import Foundation
import MienCore

/// MediaPipe's face blendshapes model (Apache-2.0): 52 movement coefficients from 146 of the 478 mesh points,
/// rebuilt for OpenCV 4.6 by training/facemesh/convert.py (Models/FACEMESH.md).
///
/// The points go in as image pixels, as MediaPipe feeds them: the model removes translation and scale itself, not
/// rotation or aspect distortion, so they must be in square pixels of the image the mesh was fitted on.
public final class BlendshapeEstimator: Sendable {
    public static let fileName = "face_blendshapes.onnx"
    /// "name@version": the version is the start of the sha256 of Google's face_landmarker.task it came from.
    public static let modelVersion = "mediapipe-blendshapes@64184e22"

    private let network: OnnxNetwork

    /// - Throws: `AnalysisError.modelMissing` / `.modelInvalid` naming the file (also when it gives other values
    ///   than the converted model on a fixed point set: an altered or truncated file).
    public init(modelsDirectory: URL) throws {
        network = try OnnxNetwork(path: modelsDirectory.appendingPathComponent(Self.fileName).path)
        try selfTest()
    }

    /// The 52 coefficients of a face's mesh.
    public func estimate(_ mesh: FaceLandmarks) throws -> Blendshapes {
        guard mesh.layout == .mesh478 else {
            throw AnalysisError.backend(stage: "blendshapes", reason: "needs the 478-point mesh, got \(mesh.layout.rawValue)")
        }
        let values = try forward(MeshBlendshapes.inputIndices.map { mesh.points[$0] })
        return Blendshapes(model: Self.modelVersion,
                           coefficients: Dictionary(uniqueKeysWithValues: zip(MeshBlendshapes.names, values)))
    }

    func forward(_ points: [Point2]) throws -> [Double] {
        var input = [Float]()
        input.reserveCapacity(2 * points.count)
        for p in points {
            input.append(Float(p.x))
            input.append(Float(p.y))
        }
        let out = try network.forward(input, shape: [1, input.count, 1, 1], inputName: "points",
                                      outputs: ["blendshapes"])
        guard out.count == 1, out[0].count == MeshBlendshapes.names.count else {
            throw AnalysisError.modelInvalid(path: network.path, reason: "it gives \(out.first?.count ?? 0) "
                                             + "outputs, not the \(MeshBlendshapes.names.count) blendshapes")
        }
        return out[0].map(Double.init)
    }

    /// The fixed points training/facemesh/convert.py `self_test_points` uses, and what the converted model gives.
    private func selfTest() throws {
        let points = (0..<146).map { (i: Int) -> Point2 in
            let x: Int = 200 + (i * 37) % 101
            let y: Int = 150 + (i * 53) % 97
            return Point2(Double(x), Double(y))
        }
        let v = try forward(points)
        let sum = v.reduce(0, +)
        guard abs(sum - 11.39872) < 1e-3, abs(v[25] - 0.04167) < 1e-4, abs(v[44] - 0.18886) < 1e-4 else {
            throw AnalysisError.modelInvalid(path: network.path, reason: String(
                format: "it is not the converted blendshapes model (on the self-test points: sum %.5f, jawOpen "
                + "%.5f; expected 11.39872, 0.04167). Restore it from the Mien checkout or rerun "
                + "training/facemesh/convert.py", sum, v[25]))
        }
    }
}
