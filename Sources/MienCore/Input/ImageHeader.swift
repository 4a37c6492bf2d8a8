/// Format and pixel dimensions read from the first bytes of an image file, without decoding it.
///
/// This is what lets Mien refuse a decompression bomb (a 100 000 × 100 000 PNG is 64 bytes of header and 30 GB
/// of pixels) before any decoder allocates. The parser is bounds-checked throughout: it reads hostile bytes.
public struct ImageHeader: Sendable, Hashable {
    public enum Format: String, Sendable, Codable {
        case jpeg, png, webp, bmp, tiff, gif
    }

    public var format: Format
    public var width: Int
    public var height: Int

    public var pixelCount: Int { width.multipliedReportingOverflow(by: height).overflow ? Int.max : width * height }

    public init(format: Format, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// Parses `bytes`; nil when the format is not one of the supported ones or the header is cut short.
    public static func parse(_ bytes: [UInt8]) -> ImageHeader? {
        let r = ByteReader(bytes)
        if r.matches([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png(r) }
        if r.matches([0xFF, 0xD8]) { return jpeg(r) }
        if r.matches(Array("RIFF".utf8)), r.matches(Array("WEBP".utf8), at: 8) { return webp(r) }
        if r.matches(Array("BM".utf8)) { return bmp(r) }
        if r.matches([0x49, 0x49, 0x2A, 0x00]) || r.matches([0x4D, 0x4D, 0x00, 0x2A]) { return tiff(r) }
        if r.matches(Array("GIF8".utf8)) {
            guard let w = r.u16le(6), let h = r.u16le(8) else { return nil }
            return ImageHeader(format: .gif, width: Int(w), height: Int(h))
        }
        return nil
    }

    private static func png(_ r: ByteReader) -> ImageHeader? {
        guard r.matches(Array("IHDR".utf8), at: 12), let w = r.u32be(16), let h = r.u32be(20) else { return nil }
        return ImageHeader(format: .png, width: Int(w), height: Int(h))
    }

    private static func jpeg(_ r: ByteReader) -> ImageHeader? {
        var i = 2
        // Walk the marker segments until a start-of-frame; each segment states its own length.
        while i + 4 <= r.count {
            guard r[i] == 0xFF else { return nil }
            let marker = r[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            guard let length = r.u16be(i + 2), length >= 2 else { return nil }
            let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame {
                guard let h = r.u16be(i + 5), let w = r.u16be(i + 7) else { return nil }
                return ImageHeader(format: .jpeg, width: Int(w), height: Int(h))
            }
            if marker == 0xD9 || marker == 0xDA { return nil }  // end of image / scan before any frame header
            i += 2 + Int(length)
        }
        return nil
    }

    private static func webp(_ r: ByteReader) -> ImageHeader? {
        if r.matches(Array("VP8X".utf8), at: 12) {
            guard let w = r.u24le(24), let h = r.u24le(27) else { return nil }
            return ImageHeader(format: .webp, width: Int(w) + 1, height: Int(h) + 1)
        }
        if r.matches(Array("VP8L".utf8), at: 12) {
            guard r.count >= 25, r[20] == 0x2F, let bits = r.u32le(21) else { return nil }
            return ImageHeader(format: .webp, width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1)
        }
        if r.matches(Array("VP8 ".utf8), at: 12) {
            guard r.matches([0x9D, 0x01, 0x2A], at: 23), let w = r.u16le(26), let h = r.u16le(28) else { return nil }
            return ImageHeader(format: .webp, width: Int(w & 0x3FFF), height: Int(h & 0x3FFF))
        }
        return nil
    }

    private static func bmp(_ r: ByteReader) -> ImageHeader? {
        guard let size = r.u32le(14) else { return nil }
        if size == 12 {
            guard let w = r.u16le(18), let h = r.u16le(20) else { return nil }
            return ImageHeader(format: .bmp, width: Int(w), height: Int(h))
        }
        guard let w = r.u32le(18), let h = r.u32le(22) else { return nil }
        return ImageHeader(format: .bmp, width: Int(Int32(bitPattern: w).magnitude),
                           height: Int(Int32(bitPattern: h).magnitude))
    }

    private static func tiff(_ r: ByteReader) -> ImageHeader? {
        let little = r[0] == 0x49
        func u16(_ o: Int) -> UInt16? { little ? r.u16le(o) : r.u16be(o) }
        func u32(_ o: Int) -> UInt32? { little ? r.u32le(o) : r.u32be(o) }
        guard let ifd = u32(4), let entries = u16(Int(ifd)) else { return nil }
        var width: Int?, height: Int?
        for k in 0..<Int(min(entries, 512)) {
            let e = Int(ifd) + 2 + 12 * k
            guard let tag = u16(e), let type = u16(e + 2) else { return nil }
            let value: Int? = type == 3 ? u16(e + 8).map(Int.init) : u32(e + 8).map(Int.init)
            if tag == 256 { width = value }
            if tag == 257 { height = value }
            if let w = width, let h = height { return ImageHeader(format: .tiff, width: w, height: h) }
        }
        return nil
    }
}

/// Bounds-checked little/big-endian reads over a byte array: every read past the end is nil, never a trap.
struct ByteReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var count: Int { bytes.count }
    subscript(i: Int) -> UInt8 { i >= 0 && i < bytes.count ? bytes[i] : 0 }

    func matches(_ pattern: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, offset + pattern.count <= bytes.count else { return false }
        return bytes[offset..<offset + pattern.count].elementsEqual(pattern)
    }

    private func value(_ o: Int, _ n: Int, bigEndian: Bool) -> UInt32? {
        guard o >= 0, o + n <= bytes.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<n {
            let b = UInt32(bytes[o + (bigEndian ? k : n - 1 - k)])
            v = (v << 8) | b
        }
        return v
    }

    func u16be(_ o: Int) -> UInt16? { value(o, 2, bigEndian: true).map { UInt16($0) } }
    func u16le(_ o: Int) -> UInt16? { value(o, 2, bigEndian: false).map { UInt16($0) } }
    func u24le(_ o: Int) -> UInt32? { value(o, 3, bigEndian: false) }
    func u32be(_ o: Int) -> UInt32? { value(o, 4, bigEndian: true) }
    func u32le(_ o: Int) -> UInt32? { value(o, 4, bigEndian: false) }
}
