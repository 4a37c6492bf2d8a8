import CMienVision
import MienCore

/// Head pose from landmarks: solvePnP of `GenericFace3D` with a pinhole camera whose focal length is the image
/// width (a ~53° horizontal field of view, typical of webcams and phones; the true value is rarely known).
public struct PoseEstimator: Sendable {
    public init() {}

    public func estimate(_ landmarks: FaceLandmarks, imageWidth: Int, imageHeight: Int) throws -> HeadPose {
        let names = GenericFace3D.landmarkPoints
        var image = [Float](), model = [Float]()
        for (k, name) in names.enumerated() {
            guard let point = landmarks.point(name) else {
                throw AnalysisError.backend(stage: "head pose", reason: "the \(landmarks.layout.rawValue) layout has no \(name.rawValue) point")
            }
            image += [Float(point.x), Float(point.y)]
            let p = GenericFace3D.points[k]
            model += [Float(p.0), Float(p.1), Float(p.2)]
        }
        var rotation = [Double](repeating: 0, count: 9)
        var translation = [Double](repeating: 0, count: 3)
        var err = newError()
        let ok = mien_solve_pnp(image, model, Int32(names.count), Double(imageWidth), Double(imageWidth) / 2,
                                Double(imageHeight) / 2, &rotation, &translation, &err)
        guard ok == 1 else { throw bridgeFailure(err, stage: "head pose") }
        return HeadPose(rotation: rotation)
    }
}
