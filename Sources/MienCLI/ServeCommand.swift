import ArgumentParser
import Foundation
import Logging
import Mien
import MienServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API, the live WebSocket and the web page (docs/SERVER.md).",
        discussion: """
            Settings come from an optional JSON file (--config), then MIEN_SERVE_* environment variables \
            (MIEN_SERVE_HOST, MIEN_SERVE_PORT, MIEN_SERVE_INSTANCES, MIEN_SERVE_REQUIRE_KEYS), then flags. Binding \
            to anything but loopback needs a key ('mien keys create'); once a key exists every request needs one. SIGTERM or Ctrl-C stop \
            it gracefully.
            """)

    @Option(help: "A JSON file with ServerConfiguration fields (docs/SERVER.md).") var config: String?
    @Option(help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "Port (default 8080; 0 picks a free one).") var port: Int?
    @Option(help: "Analyses at once (network instances; default: cores).") var instances: Int?
    @Option(help: "Analyses that may wait for an instance before 503 (default 8).") var queue: Int?
    @Flag(help: "Require an API key on every request (forced on when keys exist).") var requireKeys = false
    @Option(help: "Largest image or audio body in bytes (default 20 MiB).") var maxBodyBytes: Int?
    @Option(help: "Images over this many megapixels are refused from their header.") var maxMegapixels: Double?
    @Option(help: "Seconds an image or audio upload may take in full (408 beyond; default 60). Videos get this plus a second per 64 KiB.") var uploadTimeout: Double?
    @Option(help: "Requests per key per minute (0 = unlimited).") var rateLimit: Int?
    @Option(help: "Access-Control-Allow-Origin for the API (off unless given).") var corsOrigin: String?
    @Option(help: "The key database (default keys.sqlite under MIEN_HOME).") var keysDb: String?
    @Option(help: "The operator named in the notice on the page.") var operatorName: String?
    @Option(help: "Purpose of requests without a key (loopback only).") var purpose: String?
    @Flag(inversion: .prefixedNo, help: "Load the face mesh: /v1/analyze answers 52 blendshapes and iris gaze per face, as mien analyze does (movement, not emotion).") var blendshapes = true
    @Flag(help: "Load the body keypoint models, so that requests may ask for body=true (/v1/analyze, /v1/live): 33 keypoints and body movement per face (movement, not emotion; docs/BODY.md). Off by default: ~150 ms more a person.") var body = false

    func run() async throws {
        var c = ServerConfiguration()
        if let config {
            // The file names only the fields it changes: laid over the defaults, then decoded.
            let given = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config)))
            guard let given = given as? [String: Any],
                  var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any] else {
                throw ValidationError("\(config): expected a JSON object of ServerConfiguration fields")
            }
            merged.merge(given) { _, new in new }
            c = try JSONDecoder().decode(ServerConfiguration.self, from: JSONSerialization.data(withJSONObject: merged))
        }
        let env = ProcessInfo.processInfo.environment
        if let v = env["MIEN_SERVE_HOST"] { c.host = v }
        if let v = env["MIEN_SERVE_PORT"].flatMap(Int.init) { c.port = v }
        if let v = env["MIEN_SERVE_INSTANCES"].flatMap(Int.init) { c.instances = v }
        if env["MIEN_SERVE_REQUIRE_KEYS"] == "1" { c.requireKeys = true }
        if let host { c.host = host }
        if let port { c.port = port }
        if let instances { c.instances = instances }
        if let queue { c.queue = queue }
        if requireKeys { c.requireKeys = true }
        if let maxBodyBytes { c.maxBodyBytes = maxBodyBytes }
        if let maxMegapixels { c.maxPixels = Int(maxMegapixels * 1_000_000) }
        if let uploadTimeout { c.uploadTimeoutSeconds = uploadTimeout }
        if !blendshapes { c.blendshapes = false }
        if body { c.body = true }
        if let rateLimit { c.rateLimitPerMinute = rateLimit }
        if let corsOrigin { c.corsOrigin = corsOrigin }
        if let keysDb { c.keysDatabase = keysDb }
        if let operatorName { c.operatorName = operatorName }
        if let purpose { c.localPurpose = try Purpose.parse(purpose).rawValue }
        var logger = Logger(label: "mien.serve")
        logger.logLevel = .notice
        let server = try MienServer(configuration: c, logger: logger)
        let host = c.host
        let keys = server.configuration.requireKeys ? "API keys required" : "no keys (loopback, purpose \(c.localPurpose))"
        let load = server.loadSeconds
        try await server.run { port in
            FileHandle.standardError.write(Data(String(
                format: "mien serve: listening on http://%@:%d (models loaded in %.2f s; %@)\n",
                host, port, load, keys).utf8))
        }
    }
}
