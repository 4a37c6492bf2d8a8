import CMienVision
import Foundation
import MienCore

/// Where frames come from: a video file, a camera, a stream URL, or MJPEG bytes on a file descriptor.
public enum VideoInput: Sendable, Hashable, CustomStringConvertible {
    case file(URL)
    case device(String)
    case url(String)
    /// Concatenated JPEGs (e.g. `ffmpeg -i in.mp4 -f mjpeg -`) on a file descriptor; 0 = standard input.
    case mjpeg(fd: Int32)

    /// "-" is MJPEG on stdin, /dev/… a camera, scheme://… a stream, anything else a file.
    public static func parse(_ text: String) -> VideoInput {
        if text == "-" { return .mjpeg(fd: 0) }
        if text.hasPrefix("/dev/") { return .device(text) }
        if text.range(of: "^[a-zA-Z][a-zA-Z0-9+.-]*://", options: .regularExpression) != nil { return .url(text) }
        return .file(URL(fileURLWithPath: text))
    }

    public var isLive: Bool { if case .file = self { return false } else { return true } }

    public var description: String {
        switch self {
        case .file(let u): return u.path
        case .device(let d): return d
        case .url(let u): return u
        case .mjpeg(let fd): return fd == 0 ? "MJPEG on standard input" : "MJPEG on fd \(fd)"
        }
    }
}

/// Why a video could not be read. Each message names the input and what to do.
public enum VideoError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileNotFound(String)
    case notAVideo(source: String, reason: String)
    case cannotOpen(source: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file. Check the path."
        case .notAVideo(let s, let r):
            return "\(s): \(r). Mien reads what FFmpeg decodes (MP4/H.264, WebM, AVI, MOV); check the file, or "
                + "re-encode it with `ffmpeg -i IN -c:v libx264 OUT.mp4`."
        case .cannotOpen(let s, let r): return "\(s): \(r)."
        case .cannotWrite(let p, let r): return "\(p): \(r)."
        }
    }
}

/// A decoded video frame and where it sits in the source.
public struct VideoFrame: Sendable {
    public let image: Image
    public let index: Int
    public let time: Double
}

/// Frames of a video, decoded on a separate thread into a small queue (`CMienVision/video.cpp`).
///
/// Files: every frame is delivered in order (decoding waits for the consumer). Live inputs: when the consumer falls
/// behind, the oldest queued frame is dropped (`dropped` counts them) so latency stays at a few frames.
// Safe to share: a run may hand it to another thread, but it is used by one thread at a time (the run's), and
// the decoding thread inside the bridge shares only its queue, which the bridge locks (video.cpp).
public final class VideoSource: @unchecked Sendable {
    public struct Options: Sendable {
        /// Keep every Nth frame.
        public var every = 1
        public var start: Double = 0
        /// Stop after this time; nil = to the end.
        public var end: Double?
        /// Frames decoded ahead (default 3 for files: enough to hide decoding jitter; live inputs keep 2 so the frame
        /// analysed is at most ~2 frames old).
        public var queueCapacity: Int?
        public var openTimeout: Double = 10
        /// A stream that delivers nothing for this long has stopped.
        public var readTimeout: Double = 10
        /// Frames over this many pixels are refused as stills over it are (`AnalysisError.tooManyPixels`): before
        /// decoding when the container declares the size, else at the first frame; a later frame over it ends the
        /// stream (`stopReason`). 0: no limit.
        public var maxPixels = 50_000_000
        public init() {}
    }

    public let input: VideoInput
    public let width: Int
    public let height: Int
    /// The container's frame rate; 0 when unknown.
    public let fps: Double
    /// The container's frame count; 0 when unknown.
    public let frameCount: Int
    private var handle: OpaquePointer?
    private let readTimeout: Double
    private let endTime: Double?
    /// Set when the stream ended early (damaged data, a stalled stream): what happened.
    public private(set) var stopReason: String?

    public init(_ input: VideoInput, options: Options = Options()) throws {
        self.input = input
        if case .file(let url) = input { try Self.checkFile(url) }
        var o = mien_video_options()
        var path = ""
        switch input {
        case .file(let u): o.kind = Int32(MIEN_VIDEO_FILE.rawValue); path = u.path
        case .device(let d): o.kind = Int32(MIEN_VIDEO_DEVICE.rawValue); path = d
        case .url(let u): o.kind = Int32(MIEN_VIDEO_URL.rawValue); path = u
        case .mjpeg(let fd): o.kind = Int32(MIEN_VIDEO_MJPEG_FD.rawValue); o.fd = fd
        }
        if case .device(let d) = input, !FileManager.default.fileExists(atPath: d) {
            throw VideoError.cannotOpen(source: d, reason: "no such camera device (list them with `ls /dev/video*`)")
        }
        o.every = Int32(max(1, options.every))
        o.start_s = options.start
        o.end_s = options.end ?? 0
        o.queue_capacity = Int32(options.queueCapacity ?? (input.isLive ? 2 : 3))
        o.drop_when_full = input.isLive ? 1 : 0
        o.open_timeout_s = options.openTimeout
        o.read_timeout_s = options.readTimeout
        o.max_pixels = Int64(max(0, options.maxPixels))
        readTimeout = options.readTimeout
        endTime = options.end
        var info = mien_video_info()
        var err = newError()
        let h = path.withCString { p -> OpaquePointer? in
            o.source = p
            return mien_video_open(&o, &info, &err)
        }
        guard let h else {
            if err.code == Int32(MIEN_ERR_TOO_MANY_PIXELS.rawValue) {
                throw AnalysisError.tooManyPixels(source: input.description, width: Int(info.width),
                                                  height: Int(info.height), limit: options.maxPixels)
            }
            let reason = bridgeFailure(err, stage: "video").reasonText
            if input.isLive { throw VideoError.cannotOpen(source: input.description, reason: reason) }
            throw VideoError.notAVideo(source: input.description, reason: reason)
        }
        handle = h
        width = Int(info.width)
        height = Int(info.height)
        fps = info.fps
        frameCount = Int(info.frame_count)
    }

    deinit { close() }

    /// The next frame, or nil at the end of the stream (then `stopReason` says whether it ended early).
    public func next() -> VideoFrame? {
        guard let handle else { return nil }
        var image: OpaquePointer?
        var index: Int64 = 0
        var time = 0.0
        var err = newError()
        // Files never stall; a generous wait only guards against a wedged decoder.
        let wait = input.isLive ? readTimeout + 1 : 60
        let status = mien_video_next(handle, wait, &image, &index, &time, &err)
        switch status {
        case 1:
            guard let image else { return nil }
            return VideoFrame(image: Image(handle: image), index: Int(index), time: time)
        case 0:
            let message = bridgeFailure(err, stage: "video").reasonText
            if !message.isEmpty && !message.hasPrefix("unknown error") {
                stopReason = message
            } else if case .file = input, endTime == nil, frameCount > 0, decoded + 2 < frameCount {
                // The container announced more frames than could be decoded: the file is cut short or damaged.
                stopReason = "the video ends after \(decoded) of the \(frameCount) frames its header announces "
                    + "(cut short or damaged)"
            }
            return nil
        case -2:
            stopReason = "no frame arrived for \(Int(wait)) s; the source stalled"
            return nil
        default:
            let reason = bridgeFailure(err, stage: "video").reasonText
            stopReason = input.isLive ? reason : "the video is damaged or cut short after frame \(decoded): \(reason)"
            return nil
        }
    }

    /// Frames dropped because analysis fell behind (live inputs).
    public var dropped: Int { handle.map { Int(mien_video_dropped($0)) } ?? 0 }
    /// Frames decoded so far, including those skipped by `every`.
    public var decoded: Int { handle.map { Int(mien_video_decoded($0)) } ?? 0 }

    /// The checks a file passes before any decoder runs: it exists, is a non-empty file, and is not a still image.
    public static func checkFile(_ url: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw VideoError.fileNotFound(url.path)
        }
        guard !isDir.boolValue else { throw VideoError.notAVideo(source: url.path, reason: "it is a directory") }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size > 0 else { throw VideoError.notAVideo(source: url.path, reason: "the file is empty (0 bytes)") }
        // FFmpeg happily "plays" a still image as a one-frame video; say what it is instead.
        if let format = stillImageFormat(url) {
            throw VideoError.notAVideo(source: url.path, reason: "it is a \(format) image, not a video (use `mien analyze` for stills)")
        }
    }

    /// The format's name when the file starts like a still image (JPEG, PNG, GIF, BMP, WebP, TIFF).
    static func stillImageFormat(_ url: URL) -> String? {
        guard let h = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? h.close() }
        let b = [UInt8]((try? h.read(upToCount: 12)) ?? Data())
        func starts(_ p: [UInt8]) -> Bool { b.count >= p.count && Array(b.prefix(p.count)) == p }
        if starts([0xFF, 0xD8, 0xFF]) { return "JPEG" }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
        if starts([0x47, 0x49, 0x46, 0x38]) { return "GIF" }
        if starts([0x42, 0x4D]) { return "BMP" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if b.count >= 12 && starts([0x52, 0x49, 0x46, 0x46]) && Array(b[8..<12]) == [0x57, 0x45, 0x42, 0x50] { return "WebP" }
        return nil
    }

    public func close() {
        if let handle { mien_video_close(handle) }
        handle = nil
    }
}

extension AnalysisError {
    /// The bridge's message without the "stage failed:" prefix.
    var reasonText: String {
        if case .backend(_, let reason) = self { return reason }
        return description
    }
}
