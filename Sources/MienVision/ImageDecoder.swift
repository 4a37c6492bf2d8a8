import CMienVision
import Foundation
import MienCore

/// Reads images from files or bytes, refusing oversized ones from their header before any decoder runs.
public struct ImageDecoder: Sendable {
    /// Largest accepted image in pixels (width × height). 50 MP by default: a 50 MP photo decodes to 150 MB.
    public var maxPixels: Int
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"]

    public init(maxPixels: Int = 50_000_000) { self.maxPixels = maxPixels }

    public func decode(fileAt url: URL) throws -> Image {
        try decode(try read(fileAt: url), source: url.path)
    }

    /// The file's bytes, with the errors a person can act on (missing, a directory, unreadable, empty).
    public func read(fileAt url: URL) throws -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AnalysisError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw AnalysisError.unreadable(path: path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw AnalysisError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard !data.isEmpty else { throw AnalysisError.emptyFile(path: path) }
        return data
    }

    /// True when an end-of-image marker follows the first start-of-scan. Entropy-coded data stuffs every 0xFF
    /// as FF 00, so FF D9 after the scan begins can only be the real end (EXIF thumbnails end before it).
    static func jpegHasEnd(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 2, scan = -1
            while i + 3 < b.count {
                guard b[i] == 0xFF else { return false }
                let marker = b[i + 1]
                if marker == 0xDA { scan = i; break }
                if marker == 0xFF { i += 1; continue }
                if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
                i += 2 + (Int(b[i + 2]) << 8 | Int(b[i + 3]))
            }
            guard scan >= 0 else { return false }
            var j = b.count - 2
            while j > scan {
                if b[j] == 0xFF && b[j + 1] == 0xD9 { return true }
                j -= 1
            }
            return false
        }
    }

    public func decode(_ data: Data, source: String) throws -> Image {
        guard !data.isEmpty else { throw AnalysisError.emptyFile(path: source) }
        let head = [UInt8](data.prefix(64 * 1024))
        // TIFF may put its directory at the end of the file: parse the whole (memory-mapped) file for it.
        let isTIFF = head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
        guard let header = ImageHeader.parse(isTIFF && data.count > head.count ? [UInt8](data) : head) else {
            // A recognisable signature with a broken header is corruption; anything else is not an image.
            if head.starts(with: [0xFF, 0xD8]) { throw AnalysisError.corruptImage(source: source, format: "jpeg") }
            if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { throw AnalysisError.corruptImage(source: source, format: "png") }
            throw AnalysisError.notAnImage(source: source)
        }
        guard header.width > 0, header.height > 0 else {
            throw AnalysisError.corruptImage(source: source, format: header.format.rawValue)
        }
        guard header.pixelCount <= maxPixels else {
            throw AnalysisError.tooManyPixels(source: source, width: header.width, height: header.height,
                                              limit: maxPixels)
        }
        // libjpeg "decodes" a cut-off JPEG by filling the rest with grey; refuse it instead.
        if header.format == .jpeg && !Self.jpegHasEnd(data) {
            throw AnalysisError.corruptImage(source: source, format: "jpeg")
        }
        var err = newError()
        let handle = data.withUnsafeBytes { raw in
            mien_image_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &err)
        }
        guard let handle else {
            throw AnalysisError.corruptImage(source: source, format: header.format.rawValue)
        }
        let image = Image(handle: handle)
        // EXIF rotation may swap the sides, so check the decoded size, not the header's.
        guard image.width >= 16, image.height >= 16 else {
            throw AnalysisError.imageTooSmall(source: source, width: image.width, height: image.height)
        }
        return image
    }
}
