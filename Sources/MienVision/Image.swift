import CMienVision
import Foundation
import MienCore

/// A decoded 8-bit BGR image owned by the C++ bridge. Reference type: the pixels are not copied when passed on.
// Safe to share: the pixels are not changed after decoding; drawing (`Annotator`, `VideoAnnotator`) happens
// only on copies, or on a video frame after the pipeline has finished with it (frames are emitted after every
// stage that reads them). Readers of one image from several threads only read.
public final class Image: @unchecked Sendable {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }
    deinit { mien_image_free(handle) }

    public var width: Int { Int(mien_image_width(handle)) }
    public var height: Int { Int(mien_image_height(handle)) }

    /// Wraps raw pixels: 1 channel (grey) or 3 (BGR), rows packed.
    public convenience init(pixels: [UInt8], width: Int, height: Int, channels: Int) throws {
        var err = newError()
        let h = pixels.withUnsafeBufferPointer {
            mien_image_from_pixels($0.baseAddress, Int32(width), Int32(height), Int32(channels),
                                   Int32(width * channels), &err)
        }
        guard let h else { throw bridgeFailure(err, stage: "image") }
        self.init(handle: h)
    }

    public func copy() -> Image? { mien_image_clone(handle).map(Image.init(handle:)) }

    public func grayPixels() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        var err = newError()
        let ok = out.withUnsafeMutableBufferPointer { mien_image_copy_gray(handle, $0.baseAddress, $0.count, &err) }
        guard ok == 1 else { throw bridgeFailure(err, stage: "image") }
        return out
    }

    public func bgrPixels() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        var err = newError()
        let ok = out.withUnsafeMutableBufferPointer { mien_image_copy_bgr(handle, $0.baseAddress, $0.count, &err) }
        guard ok == 1 else { throw bridgeFailure(err, stage: "image") }
        return out
    }

    /// Writes the image; the extension chooses the format.
    public func write(to url: URL) throws {
        var err = newError()
        guard mien_image_write(handle, url.path, &err) == 1 else { throw bridgeFailure(err, stage: "write image") }
    }

    /// Encodes to JPEG at `quality` (1–100).
    public func jpeg(quality: Int) throws -> Data {
        var err = newError()
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard mien_image_encode_quality(handle, ".jpg", Int32(quality), &bytes, &length, &err) == 1, let bytes else {
            throw bridgeFailure(err, stage: "encode image")
        }
        defer { mien_free_bytes(bytes) }
        return Data(bytes: bytes, count: length)
    }

    /// Encodes to JPEG or PNG bytes (`ext` ".jpg" or ".png").
    public func encoded(as ext: String = ".jpg") throws -> Data {
        var err = newError()
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard mien_image_encode(handle, ext, &bytes, &length, &err) == 1, let bytes else {
            throw bridgeFailure(err, stage: "encode image")
        }
        defer { mien_free_bytes(bytes) }
        return Data(bytes: bytes, count: length)
    }
}
