import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Mien
import MienStore
import ServiceLifecycle

/// Why the server will not start; each message says what to do.
public enum ServerStartError: Error, Sendable, CustomStringConvertible {
    case keysRequired(host: String)
    case noValidKeys(host: String, keys: String)
    case badConfiguration(String)

    public var description: String {
        switch self {
        case .keysRequired(let host):
            return "refusing to listen on \(host) without API keys: anyone who can reach it could analyse faces under "
                + "your name. Bind to 127.0.0.1, or create a key ('mien keys create --purpose P --name N'): with a "
                + "key, every request needs one."
        case .noValidKeys(let host, let keys):
            return "refusing to listen on \(host): \(keys) holds no valid API key, so nobody could use the server. "
                + "Create one with 'mien keys create --purpose P --name N'."
        case .badConfiguration(let why):
            return why
        }
    }
}

/// `mien serve`: one engine loaded at start-up, a session per request under the caller's key, the routes of
/// docs/openapi.json, the live WebSocket and the web page. Thin: every analysis goes through `Analyzer`,
/// `VideoAnalyzer` or `VoiceAnalyzer`.
public final class MienServer: Sendable {
    public let configuration: ServerConfiguration
    public let engine: Engine
    /// Seconds the models took to load.
    public var loadSeconds: Double { engine.loadSeconds }
    let base: Governance
    let keys: APIKeyStore?
    let auth: KeyAuthenticator
    let gate: AnalysisGate
    let metrics: ServerMetrics
    let videos: VideoJobs
    let liveSlots: LiveSlots
    let logger: Logger

    /// Checks the binding rules, loads the models and opens the stores.
    /// - Throws: `ServerStartError` when the address needs keys that are not there; `AnalysisError` for models.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "mien.serve")) throws {
        var configuration = configuration
        let keysURL = configuration.keysURL
        let keys: APIKeyStore? = (configuration.requireKeys || FileManager.default.fileExists(atPath: keysURL.path))
            ? try APIKeyStore(url: keysURL) : nil
        let validKeys = try keys?.hasValidKeys() == true
        // Once keys exist, every request needs one: a keyless request would act as the local user.
        if validKeys { configuration.requireKeys = true }
        if !configuration.bindsLoopbackOnly {
            guard configuration.requireKeys else { throw ServerStartError.keysRequired(host: configuration.host) }
            guard validKeys else { throw ServerStartError.noValidKeys(host: configuration.host, keys: keysURL.path) }
        }
        self.configuration = configuration
        self.keys = keys
        self.logger = logger
        let home = configuration.homeURL
        // Opened before the models load, so a second server on the same home is refused at once.
        let jobs: SQLiteJobStore
        do {
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            jobs = try SQLiteJobStore(url: home.appendingPathComponent("video-jobs.sqlite"), exclusive: true)
        } catch JobStoreError.runInUse(let path, let holder) {
            throw ServerStartError.badConfiguration("\(path): another 'mien serve' (\(holder)) uses this home for its "
                + "video jobs. Stop it, or give this server its own home (MIEN_HOME, or 'home' in the config file).")
        }
        base = Governance(purpose: .localDefault, actor: configuration.localActor, home: home,
                          auditDatabase: configuration.auditDatabase.map { URL(fileURLWithPath: $0) })
        auth = try KeyAuthenticator(keys: keys, configuration: configuration, base: base)
        // Parallelism comes from the instances (one analysis a core); OpenCV's own worker threads would
        // oversubscribe the cores under load.
        ComputeThreads.set(1)
        engine = try Engine(Engine.Configuration(instances: max(1, configuration.instances),
                                                 faceMesh: configuration.blendshapes, body: configuration.body))
        gate = AnalysisGate(instances: engine.configuration.instances, queue: configuration.queue)
        metrics = ServerMetrics(startupSeconds: engine.loadSeconds)
        liveSlots = LiveSlots(limit: engine.configuration.instances - 1)
        // A live connection's frames go through a pipe; a write after its reader closed must fail, not kill us.
        signal(SIGPIPE, SIG_IGN)
        videos = try VideoJobs(store: jobs,
                               folder: home.appendingPathComponent("videos", isDirectory: true),
                               engine: engine, auth: auth, retentionSeconds: configuration.videoRetentionSeconds,
                               operatorName: configuration.operatorName, logger: logger)
    }

    /// The Hummingbird application (tests drive it with HummingbirdTesting; `run` serves it).
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router(context: ServerContext.self)
        router.add(middleware: ServerMiddleware(metrics: metrics, corsOrigin: configuration.corsOrigin,
                                                routes: routeTable()))
        addRoutes(to: router)
        let sockets = Router(context: ServerContext.self)
        sockets.add(middleware: ServerMiddleware(metrics: metrics, corsOrigin: nil, routes: []))
        addLiveRoute(to: sockets)
        let idleMs = Int64(configuration.idleTimeoutSeconds * 1000)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: sockets,
                configuration: .init(http1: .init(idleTimeout: .milliseconds(idleMs)),
                                     ws: .init(maxFrameSize: configuration.maxFrameBytes,
                                               closeTimeout: .seconds(5)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "mien"),
            services: [videos],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish (video jobs in flight
    /// go back to the queue) and returns.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let recovered = try videos.recover()
        if recovered > 0 {
            logger.notice("\(recovered) video job(s) interrupted by the last stop: queued again (or parked after \(VideoJobs.maxAttempts) starts)")
        }
        let app = application(onListening: onListening)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

/// The request context of every route: Hummingbird's core storage plus the WebSocket handler slot.
public struct ServerContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ServerContext>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
    }
}

extension MienServer {
    /// Every route the server answers, as "METHOD /path/{param}" pairs (for the OpenAPI check).
    func routeTable() -> [(method: String, path: String)] {
        let router = Router(context: ServerContext.self)
        addRoutes(to: router)
        return router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return (route.method.rawValue, "/" + path)
        }
    }
}
