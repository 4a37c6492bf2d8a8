/// Observable facial movement, measured from named landmark points (`FacePoint`). Geometry, not emotion.
///
/// Every measure is a distance in units of the inter-ocular distance (IOD, eye centre to eye centre), taken in a
/// face frame that removes in-plane roll: x runs along the line from the subject's right eye centre to the left,
/// y runs perpendicular to it, pointing up the face. Each is a *geometric proxy* related to a FACS action unit
/// (Ekman & Friesen 1978); none is a certified AU coding, and absolute values differ between people (brow height,
/// mouth width). Compare a person with themself (the video timeline subtracts a per-track neutral baseline).
/// Out-of-plane head rotation shortens distances: values beyond ~30° of yaw or pitch are less reliable.
/// The formulas are documented in docs/MEASURES.md.
public struct MovementMeasures: Sendable, Codable, Hashable {
    /// AU1 proxy: height of the inner brow ends (17-point 21, 22) above the inner eye corners (39, 42).
    public var innerBrowRaise: Double
    /// AU2 proxy: height of the outer brow ends (17, 26) above the outer eye corners (36, 45).
    public var outerBrowRaise: Double
    /// AU4 proxy: how far the mean brow (17–26) sits below a typical neutral height (0.31 IOD above the eye line),
    /// plus how much the inner brows are drawn together below a typical 0.37 IOD gap. Positive = lowered/knit.
    public var browLowering: Double
    /// AU5/AU43 proxy: mean lid gap of the subject's left eye (43–47, 44–46).
    public var eyeOpeningLeft: Double
    /// AU5/AU43 proxy: mean lid gap of the subject's right eye (37–41, 38–40).
    public var eyeOpeningRight: Double
    /// AU12 proxy: displacement of the lip corners (48, 54) *up and out* from the mouth centre (mean of 51, 57):
    /// (half mouth width + corner height above the centre) / √2. AU12 pulls the corners obliquely, and a laugh
    /// raises the upper lip too, so height alone misses open-mouth smiles. Typical neutral ≈ 0.37.
    public var lipCornerPull: Double
    /// AU15 proxy: how far the lip corners sit *below* the inner-lip midline; 0 if above.
    public var lipCornerDepression: Double
    /// AU20 proxy: mouth width, corner to corner (48–54).
    public var lipStretch: Double
    /// AU25 proxy: inner-lip gap, mean of (61–67, 62–66, 63–65).
    public var lipsParted: Double
    /// AU26/27 proxy: nose base (33) to chin (8).
    public var jawDrop: Double

    public init(innerBrowRaise: Double, outerBrowRaise: Double, browLowering: Double, eyeOpeningLeft: Double,
                eyeOpeningRight: Double, lipCornerPull: Double, lipCornerDepression: Double, lipStretch: Double,
                lipsParted: Double, jawDrop: Double) {
        self.innerBrowRaise = innerBrowRaise
        self.outerBrowRaise = outerBrowRaise
        self.browLowering = browLowering
        self.eyeOpeningLeft = eyeOpeningLeft
        self.eyeOpeningRight = eyeOpeningRight
        self.lipCornerPull = lipCornerPull
        self.lipCornerDepression = lipCornerDepression
        self.lipStretch = lipStretch
        self.lipsParted = lipsParted
        self.jawDrop = jawDrop
    }

    /// Measures of one face; nil when the eyes coincide (degenerate landmarks).
    public init?(landmarks l: FaceLandmarks) {
        let iod = l.interOcularDistance
        guard iod > 1e-6 else { return nil }
        let origin = Point2.mean([l.rightEyeCenter, l.leftEyeCenter])
        let ux = (l.leftEyeCenter - l.rightEyeCenter) * (1 / iod)
        // Face frame: x along the eyes, y "up the face" (image y points down, so up is the rotated −y).
        func f(_ p: FacePoint) -> Point2 { frame(l[p]) }
        func frame(_ point: Point2) -> Point2 {
            let d = point - origin
            return Point2((d.x * ux.x + d.y * ux.y) / iod, -(-d.x * ux.y + d.y * ux.x) / iod)
        }
        func gap(_ a: FacePoint, _ b: FacePoint) -> Double { f(a).distance(to: f(b)) }
        let brows = l.points(in: .brows)
        guard !brows.isEmpty else { return nil }

        innerBrowRaise = ((f(.browRightInner).y - f(.rightEyeInner).y) + (f(.browLeftInner).y - f(.leftEyeInner).y)) / 2
        outerBrowRaise = ((f(.browRightOuter).y - f(.rightEyeOuter).y) + (f(.browLeftOuter).y - f(.leftEyeOuter).y)) / 2
        let meanBrow = brows.map { frame($0).y }.reduce(0, +) / Double(brows.count)
        browLowering = (Self.neutralBrowHeight - meanBrow) + (Self.neutralInnerBrowGap - gap(.browRightInner, .browLeftInner))
        eyeOpeningRight = (gap(.rightEyeUpperOuter, .rightEyeLowerOuter) + gap(.rightEyeUpperInner, .rightEyeLowerInner)) / 2
        eyeOpeningLeft = (gap(.leftEyeUpperInner, .leftEyeLowerInner) + gap(.leftEyeUpperOuter, .leftEyeLowerOuter)) / 2
        let mouthCentre = Point2.mean([f(.upperLipTop), f(.lowerLipBottom)])
        let cornerHeight = (f(.mouthRight).y + f(.mouthLeft).y) / 2 - mouthCentre.y
        lipCornerPull = (gap(.mouthRight, .mouthLeft) / 2 + cornerHeight) / 2.0.squareRoot()
        let midline = (f(.innerLipUpperCentre).y + f(.innerLipLowerCentre).y) / 2
        lipCornerDepression = max(0, midline - (f(.mouthRight).y + f(.mouthLeft).y) / 2)
        lipStretch = gap(.mouthRight, .mouthLeft)
        lipsParted = (gap(.innerLipUpperRight, .innerLipLowerRight) + gap(.innerLipUpperCentre, .innerLipLowerCentre)
            + gap(.innerLipUpperLeft, .innerLipLowerLeft)) / 3
        jawDrop = gap(.noseBase, .chin)
    }

    /// Typical neutral values (in IOD) used only as the zero point of `browLowering`: the mean over dlib's
    /// landmarks on 1,010 FER2013 training faces with a FER+ "neutral" majority (`mien calibrate-template`).
    public static let neutralBrowHeight = 0.31
    public static let neutralInnerBrowGap = 0.37

    /// Names and values in a fixed order, for tables and CSV columns.
    public var named: [(String, Double)] {
        [("inner_brow_raise", innerBrowRaise), ("outer_brow_raise", outerBrowRaise),
         ("brow_lowering", browLowering), ("eye_opening_left", eyeOpeningLeft),
         ("eye_opening_right", eyeOpeningRight), ("lip_corner_pull", lipCornerPull),
         ("lip_corner_depression", lipCornerDepression), ("lip_stretch", lipStretch),
         ("lips_parted", lipsParted), ("jaw_drop", jawDrop)]
    }

    private enum CodingKeys: String, CodingKey {
        case innerBrowRaise = "inner_brow_raise", outerBrowRaise = "outer_brow_raise"
        case browLowering = "brow_lowering", eyeOpeningLeft = "eye_opening_left"
        case eyeOpeningRight = "eye_opening_right", lipCornerPull = "lip_corner_pull"
        case lipCornerDepression = "lip_corner_depression", lipStretch = "lip_stretch"
        case lipsParted = "lips_parted", jawDrop = "jaw_drop"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func r(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
        try c.encode(r(innerBrowRaise), forKey: .innerBrowRaise)
        try c.encode(r(outerBrowRaise), forKey: .outerBrowRaise)
        try c.encode(r(browLowering), forKey: .browLowering)
        try c.encode(r(eyeOpeningLeft), forKey: .eyeOpeningLeft)
        try c.encode(r(eyeOpeningRight), forKey: .eyeOpeningRight)
        try c.encode(r(lipCornerPull), forKey: .lipCornerPull)
        try c.encode(r(lipCornerDepression), forKey: .lipCornerDepression)
        try c.encode(r(lipStretch), forKey: .lipStretch)
        try c.encode(r(lipsParted), forKey: .lipsParted)
        try c.encode(r(jawDrop), forKey: .jawDrop)
    }
}
