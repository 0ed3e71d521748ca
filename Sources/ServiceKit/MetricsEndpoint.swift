import HTTPKit
import Logging
import Metrics
import Prometheus
import Synchronization
import Wire

/// The process's Prometheus registry behind swift-metrics, and the HTTP endpoint that serves it.
///
/// Every counter, gauge and timer a service creates through swift-metrics after
/// `MetricsEndpoint.bootstrap()` appears on GET /metrics in Prometheus text format; timers become
/// histograms with buckets from 50 µs to 10 s (routing takes microseconds, model calls seconds).
public enum MetricsEndpoint {
    /// The registry all swift-metrics handles of this process report to.
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Points swift-metrics at `registry` (once per process; later calls do nothing). Call it
    /// before creating any metric.
    public static func bootstrap() { _ = bootstrapped }

    private static let refreshers = Mutex<[@Sendable () -> Void]>([])

    /// Runs `refresh` before every scrape: for gauges read from a service's state (quantiles,
    /// queue lengths), set when asked for rather than on every change.
    public static func refreshBeforeScrape(_ refresh: @escaping @Sendable () -> Void) {
        refreshers.withLock { $0.append(refresh) }
    }

    /// The registry's text, its gauges refreshed.
    public static func scrape() -> [UInt8] {
        for refresh in refreshers.withLock({ $0 }) { refresh() }
        return registry.emitToBuffer()
    }

    /// An HTTP server answering GET /metrics with the registry's text, and GET /healthz with
    /// what the service's Health answers: 200 while serving, 503 otherwise (a coordinator with
    /// no replica in rotation), so a readiness probe sees what a client would.
    public static func server(host: String, port: Int, logger: Logger, health: @escaping @Sendable () -> ServingStatus) -> HTTPServer {
        HTTPServer(host: host, port: port, logger: logger) { request in
            switch (request.method, request.path) {
            case (.GET, "/metrics"):
                HTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: scrape())
            case (.GET, "/healthz"):
                health() == .serving ? HTTPResponse(text: "serving\n") : HTTPResponse(status: .serviceUnavailable, text: "not serving\n")
            case (_, "/metrics"), (_, "/healthz"):
                HTTPResponse(status: .methodNotAllowed, text: "use GET\n")
            default:
                HTTPResponse(status: .notFound, text: "not found: try /metrics\n")
            }
        }
    }
}
