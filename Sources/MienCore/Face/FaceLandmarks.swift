/// The point layouts Mien knows. A landmark set always says which one it is in, and code that needs a particular
/// point asks the layout for it by name (`FacePoint`), so a second landmark model (a 478-point mesh) plugs in by
/// adding a layout, not by editing every consumer.
public enum LandmarkLayout: String, Sendable, Codable, Hashable, CaseIterable {
    /// The 68 points of iBUG-300W (Sagonas et al. 2013), as dlib's shape predictor gives them. Index ranges: jaw
    /// 0–16, right brow 17–21, left brow 22–26 (subject's right/left = image left/right for a frontal face), nose
    /// 27–35, right eye 36–41, left eye 42–47, outer lips 48–59, inner lips 60–67.
    case ibug68 = "ibug-68"
    /// MediaPipe FaceMesh V2's 478 points (468 mesh points of the canonical face model, then the subject's right
    /// iris 468–472 and left iris 473–477, centre first). Named points and regions: `FacePoint.mesh478`.
    case mesh478 = "mediapipe-478"

    public var pointCount: Int {
        switch self {
        case .ibug68: return 68
        case .mesh478: return 478
        }
    }

    /// The layout a bare list of `count` points is in (the `mien/1` JSON writes landmarks as a plain array).
    public static func inferred(fromCount count: Int) -> LandmarkLayout? {
        allCases.first { $0.pointCount == count }
    }

    /// The index of a named point in this layout; nil when the layout has no such point.
    public func index(of point: FacePoint) -> Int? {
        switch self {
        case .ibug68: return FacePoint.ibug68[point]
        case .mesh478: return FacePoint.mesh478[point]
        }
    }

    /// The indices of a named region (an eye contour, the brows, …) in this layout; empty when it has none.
    public func indices(of region: FaceRegion) -> [Int] {
        switch self {
        case .ibug68:
            switch region {
            case .rightEye: return Array(36...41)
            case .leftEye: return Array(42...47)
            case .brows: return Array(17...26)
            case .outerLips: return Array(48...59)
            case .jaw: return Array(0...16)
            }
        case .mesh478: return FacePoint.mesh478Regions[region] ?? []
        }
    }
}

/// Named points of a face. "Right" and "left" are the subject's own (image left and right for a frontal face).
public enum FacePoint: String, Sendable, Codable, Hashable, CaseIterable {
    case jawRightEar, chin, jawLeftEar
    case browRightOuter, browRightInner, browLeftInner, browLeftOuter
    case noseBridge, noseTip, noseBase
    case rightEyeOuter, rightEyeUpperOuter, rightEyeUpperInner, rightEyeInner, rightEyeLowerInner, rightEyeLowerOuter
    case leftEyeInner, leftEyeUpperInner, leftEyeUpperOuter, leftEyeOuter, leftEyeLowerOuter, leftEyeLowerInner
    case mouthRight, upperLipTop, mouthLeft, lowerLipBottom
    case innerLipUpperRight, innerLipUpperCentre, innerLipUpperLeft
    case innerLipLowerLeft, innerLipLowerCentre, innerLipLowerRight

    /// Where each named point sits in iBUG-300W's 68.
    static let ibug68: [FacePoint: Int] = [
        .jawRightEar: 0, .chin: 8, .jawLeftEar: 16,
        .browRightOuter: 17, .browRightInner: 21, .browLeftInner: 22, .browLeftOuter: 26,
        .noseBridge: 27, .noseTip: 30, .noseBase: 33,
        .rightEyeOuter: 36, .rightEyeUpperOuter: 37, .rightEyeUpperInner: 38, .rightEyeInner: 39,
        .rightEyeLowerInner: 40, .rightEyeLowerOuter: 41,
        .leftEyeInner: 42, .leftEyeUpperInner: 43, .leftEyeUpperOuter: 44, .leftEyeOuter: 45,
        .leftEyeLowerOuter: 46, .leftEyeLowerInner: 47,
        .mouthRight: 48, .upperLipTop: 51, .mouthLeft: 54, .lowerLipBottom: 57,
        .innerLipUpperRight: 61, .innerLipUpperCentre: 62, .innerLipUpperLeft: 63,
        .innerLipLowerLeft: 65, .innerLipLowerCentre: 66, .innerLipLowerRight: 67,
    ]

    /// Where each named point sits in MediaPipe's 478-point mesh: the mesh vertex nearest the iBUG-300W point of
    /// the same name (checked on the samples against dlib's fit: FaceMeshLandmarkerTests).
    static let mesh478: [FacePoint: Int] = [
        .jawRightEar: 234, .chin: 152, .jawLeftEar: 454,
        .browRightOuter: 70, .browRightInner: 107, .browLeftInner: 336, .browLeftOuter: 300,
        .noseBridge: 168, .noseTip: 1, .noseBase: 2,
        .rightEyeOuter: 33, .rightEyeUpperOuter: 160, .rightEyeUpperInner: 158, .rightEyeInner: 133,
        .rightEyeLowerInner: 153, .rightEyeLowerOuter: 144,
        .leftEyeInner: 362, .leftEyeUpperInner: 385, .leftEyeUpperOuter: 387, .leftEyeOuter: 263,
        .leftEyeLowerOuter: 373, .leftEyeLowerInner: 380,
        .mouthRight: 61, .upperLipTop: 0, .mouthLeft: 291, .lowerLipBottom: 17,
        .innerLipUpperRight: 81, .innerLipUpperCentre: 13, .innerLipUpperLeft: 311,
        .innerLipLowerLeft: 402, .innerLipLowerCentre: 14, .innerLipLowerRight: 178,
    ]

    /// The mesh's eye contours (16 points each), brows (upper edges), outer lip line and lower face oval.
    static let mesh478Regions: [FaceRegion: [Int]] = [
        .rightEye: [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
        .leftEye: [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
        .brows: [70, 63, 105, 66, 107, 336, 296, 334, 293, 300],
        .outerLips: [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185],
        .jaw: [234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454],
    ]

    /// The subject's right and left iris in the 478-point mesh: centre, then four points on the iris edge.
    public static let mesh478RightIris = Array(468...472)
    public static let mesh478LeftIris = Array(473...477)
}

/// Named groups of points whose mean or extent a consumer needs.
public enum FaceRegion: String, Sendable, Hashable, CaseIterable {
    case rightEye, leftEye, brows, outerLips, jaw
}

/// The landmarks of one face, in a named layout.
///
/// Encoded in `mien/1` as the plain array of points (as before the layout had a name); decoding infers the layout
/// from the count.
public struct FaceLandmarks: Sendable, Codable, Hashable {
    public let layout: LandmarkLayout
    public let points: [Point2]

    /// nil when the count does not match the layout.
    public init?(layout: LandmarkLayout, points: [Point2]) {
        guard points.count == layout.pointCount else { return nil }
        self.layout = layout
        self.points = points
    }

    /// Points in whichever layout has that many; nil when none has.
    public init?(points: [Point2]) {
        guard let layout = LandmarkLayout.inferred(fromCount: points.count) else { return nil }
        self.init(layout: layout, points: points)
    }

    public var count: Int { points.count }

    /// A named point; nil when this layout has no such point.
    public func point(_ name: FacePoint) -> Point2? {
        layout.index(of: name).map { points[$0] }
    }

    /// A named point that every layout Mien ships has (eye corners, nose, mouth corners, lids, lips): the layouts
    /// are checked against `FacePoint.allCases` by a test, so this cannot miss for a layout that exists.
    public subscript(_ name: FacePoint) -> Point2 {
        point(name) ?? Point2.mean(points)
    }

    public func points(in region: FaceRegion) -> [Point2] { layout.indices(of: region).map { points[$0] } }

    public var rightEyeCenter: Point2 { Point2.mean(points(in: .rightEye)) }
    public var leftEyeCenter: Point2 { Point2.mean(points(in: .leftEye)) }
    /// Distance between the eye centres: the unit that makes every movement measure scale-free.
    public var interOcularDistance: Double { rightEyeCenter.distance(to: leftEyeCenter) }
    public var boundingRect: Rect { Rect.bounding(points) }

    /// The same points moved by `transform` (e.g. into another image's pixels).
    public func mapped(_ transform: (Point2) -> Point2) -> FaceLandmarks {
        FaceLandmarks(unchecked: layout, points: points.map(transform))
    }

    private init(unchecked layout: LandmarkLayout, points: [Point2]) {
        self.layout = layout
        self.points = points
    }

    public init(from decoder: Decoder) throws {
        let pts = try decoder.singleValueContainer().decode([Point2].self)
        guard let layout = LandmarkLayout.inferred(fromCount: pts.count) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "\(pts.count) landmarks match no known layout ("
                    + LandmarkLayout.allCases.map { "\($0.rawValue): \($0.pointCount)" }.joined(separator: ", ") + ")"))
        }
        self.layout = layout
        points = pts
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(points)
    }
}
