/// The result for one image: its faces, or why it could not be analysed.
public struct ImageAnalysis: Sendable, Codable, Hashable {
    public var source: String
    public var width: Int
    public var height: Int
    public var faces: [FaceAnalysis]
    /// Per-stage wall time in milliseconds (decode, detect, landmarks, align, measures, classify).
    public var timings: [String: Double]

    public init(source: String, width: Int, height: Int, faces: [FaceAnalysis], timings: [String: Double] = [:]) {
        self.source = source
        self.width = width
        self.height = height
        self.faces = faces
        self.timings = timings
    }

    private enum CodingKeys: String, CodingKey { case source, width, height, faces }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(faces, forKey: .faces)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        faces = try c.decode([FaceAnalysis].self, forKey: .faces)
        timings = [:]
    }
}
