import CMienVision
import Foundation
import MienCore

/// Writes frames to a video file (H.264 when OpenCV's FFmpeg has an encoder for it, else MPEG-4 part 2).
// Safe to share: a run may hand it to another thread, but one writer is fed by one thread at a time
// (`VideoOutputs`), and `handle` changes only in `close`, by that thread.
public final class VideoWriter: @unchecked Sendable {
    private var handle: OpaquePointer?
    public let url: URL
    /// The codec FourCC actually used ("avc1" or "mp4v").
    public let codec: String

    public init(url: URL, fps: Double, width: Int, height: Int) throws {
        var err = newError()
        var codec = [CChar](repeating: 0, count: 8)
        guard let h = mien_video_writer_open(url.path, fps > 0 ? fps : 25, Int32(width), Int32(height), &codec, &err)
        else {
            throw VideoError.cannotWrite(path: url.path, reason: bridgeFailure(err, stage: "video writer").reasonText)
        }
        handle = h
        self.url = url
        self.codec = String(decoding: codec.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { close() }

    public func write(_ image: Image) throws {
        guard let handle else { return }
        var err = newError()
        guard mien_video_writer_write(handle, image.handle, &err) == 1 else {
            throw VideoError.cannotWrite(path: url.path, reason: bridgeFailure(err, stage: "video writer").reasonText)
        }
    }

    /// Finishes the file (writes the index); safe to call twice.
    public func close() {
        if let handle { mien_video_writer_close(handle) }
        handle = nil
    }
}
