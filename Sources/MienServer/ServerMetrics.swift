import Foundation
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in a registry of its own (no process-wide bootstrap, so several servers can run
/// in one test process). `GET /metrics` writes them in the text format.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let running: Gauge
    private let facesCounter: Counter
    private let liveDrops: Counter
    private let liveFrames: Counter
    /// Counters made on first use per label set; the registry returns the same counter for the same labels.
    private let lock = Mutex<Void>(())

    init(startupSeconds: Double) {
        queueDepth = registry.makeGauge(name: "mien_analysis_waiting",
                                        help: "Analyses admitted and waiting for a network instance.")
        running = registry.makeGauge(name: "mien_analysis_running", help: "Analyses running on the engine.")
        facesCounter = registry.makeCounter(name: "mien_faces_total", help: "Faces found in analysed images.")
        liveDrops = registry.makeCounter(name: "mien_live_frames_dropped_total",
                                         help: "Live frames dropped because a newer one arrived first.")
        liveFrames = registry.makeCounter(name: "mien_live_frames_total", help: "Live frames analysed.")
        registry.makeGauge(name: "mien_engine_load_seconds", help: "Seconds the models took to load at start-up.")
            .set(startupSeconds)
    }

    func request(route: String, method: String, status: Int, seconds: Double) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        lock.withLock { _ in
            registry.makeCounter(name: "mien_http_requests_total", labels: labels,
                                 help: "HTTP requests answered, by route, method and status.").increment()
            registry.makeDurationHistogram(name: "mien_http_request_duration_seconds",
                                           labels: [("route", route)],
                                           buckets: Self.buckets,
                                           help: "Time to answer HTTP requests.")
                .record(Duration.nanoseconds(Int64(seconds * 1e9)))
        }
    }

    func refusal(purpose: String) {
        lock.withLock { _ in
            registry.makeCounter(name: "mien_policy_refusals_total", labels: [("purpose", purpose)],
                                 help: "Requests the trust layer refused, by the key's purpose.").increment()
        }
    }

    func rejected(reason: String) {
        lock.withLock { _ in
            registry.makeCounter(name: "mien_rejected_total", labels: [("reason", reason)],
                                 help: "Requests turned away before analysis (busy, rate limited).").increment()
        }
    }

    func faces(_ count: Int) { facesCounter.increment(by: Int64(count)) }
    func live(analysed: Int, dropped: Int) {
        liveFrames.increment(by: Int64(analysed))
        liveDrops.increment(by: Int64(dropped))
    }

    func load(running: Int, waiting: Int) {
        self.running.set(Double(running))
        queueDepth.set(Double(waiting))
    }

    func text() -> String { registry.emitToString() }

    static let buckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map {
        Duration.nanoseconds(Int64($0 * 1e9))
    }
}
