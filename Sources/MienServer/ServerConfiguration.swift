import Foundation
import Mien

/// Everything `mien serve` can be told, as one value (flags, environment and an optional JSON file fill it in;
/// see `ServeCommand` and docs/SERVER.md).
public struct ServerConfiguration: Sendable, Codable {
    /// Address to bind. Anything but loopback needs API keys (`requireKeys` is forced on, and at least one valid key).
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the port bound is reported by `MienServer.run(onListening:)`.
    public var port = 8080
    /// Network instances of the engine, i.e. analyses that run at once. Default: the number of cores.
    public var instances = ProcessInfo.processInfo.activeProcessorCount
    /// Analyses that may wait for an instance; beyond instances + queue the server answers 503 with Retry-After.
    public var queue = 8
    /// Largest request body for images and audio.
    public var maxBodyBytes = 20 << 20
    /// Largest video upload.
    public var maxVideoBytes = 200 << 20
    /// Images over this many pixels are refused from their header, before decoding.
    public var maxPixels = 40_000_000
    /// Requests a key may make per minute (0 = unlimited); beyond it 429 with Retry-After.
    public var rateLimitPerMinute = 600
    /// An analysis that waited this long for an instance is answered 503 instead.
    public var requestTimeoutSeconds = 60.0
    /// A connection that sends nothing for this long is closed (slow uploads, idle keep-alives).
    public var idleTimeoutSeconds = 30.0
    /// An image or audio body must arrive in full within this time (408 beyond); a video gets this plus one second
    /// per `minVideoUploadBytesPerSecond` bytes received.
    public var uploadTimeoutSeconds = 60.0
    /// Load the 478-point face mesh and blendshapes model, so that `/v1/analyze` answers blendshapes and iris gaze
    /// as `mien analyze` does (about 15 ms more a face on one core; `blendshapes=false` skips them per request).
    public var blendshapes = true
    /// Load the body detector and 33-keypoint model, so that `/v1/analyze?body=true` and `/v1/live?body=true` find
    /// each face's body (docs/BODY.md). Off by default (`mien serve --body`): a person costs ~150 ms more on one core,
    /// and the two networks take memory in every instance.
    public var body = false
    public var minVideoUploadBytesPerSecond = 65_536.0
    /// Require `Authorization: Bearer <key>` on the API. Off only on loopback (then requests act as `localActor`
    /// with `localPurpose`).
    public var requireKeys = false
    /// The purpose of requests without a key (loopback only).
    public var localPurpose = Purpose.localDefault.rawValue
    public var localActor = "local-user"
    /// `Access-Control-Allow-Origin` for the API; nil = no CORS headers (browsers then allow same-origin only).
    public var corsOrigin: String?
    /// Folder for the server's files: keys.sqlite, video-jobs.sqlite, videos/; the audit log is the governance's.
    public var home: String?
    /// Where the API keys are; default `home/keys.sqlite`.
    public var keysDatabase: String?
    /// The audit log; default the library's (`$MIEN_HOME/audit.sqlite`).
    public var auditDatabase: String?
    /// The operator named in the notice on the web page and in reports.
    public var operatorName = "The operator of this server"
    /// Largest WebSocket message (a 1280×720 JPEG is about 100–300 KiB).
    public var maxFrameBytes = 1 << 20
    /// Video jobs that may wait or run at once; beyond it uploads get 503 with Retry-After.
    public var maxVideoJobs = 16
    /// Finished video jobs (and their files) are deleted after this many seconds.
    public var videoRetentionSeconds = 24 * 3600.0

    public init() {}

    /// True when `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public var bindsLoopbackOnly: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var homeURL: URL {
        home.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? StoreLocation.home()
    }

    public var keysURL: URL {
        keysDatabase.map { URL(fileURLWithPath: $0) } ?? APIKeyStore.defaultURL(in: homeURL)
    }
}
