import NIOCore
import Metrics
import NIOConcurrencyHelpers
import Wire

/// Counts every answered call, refused ones included (first in the standard chain): per-method
/// request, error and latency metrics through swift-metrics (Prometheus when the service
/// bootstraps it; nothing otherwise), and the totals Status reports (`ServerStats`).
///
///   switchyard_requests_total{service, method}
///   switchyard_request_errors_total{service, method, code}
///   switchyard_request_duration_seconds{service, method}   (histogram)
public final class RequestMetrics: ServerInterceptor {
    /// A method's request counter and latency timer, found with one lookup per request.
    private struct MethodMetrics: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    /// Totals for Status.
    public let stats: ServerStats
    private let service: String
    private let methods: [String: MethodMetrics]
    private let unknown: MethodMetrics
    private let errors = NIOLockedValueBox<[String: Counter]>([:])
    static let unknownMethod = "unknown"

    /// - Parameters:
    ///   - service: the `service` label.
    ///   - methods: the methods the server answers; any other name is counted as "unknown" (a
    ///     caller cannot grow the metrics by sending made-up names).
    public init(service: String, methods: [String], stats: ServerStats = ServerStats()) {
        self.service = service
        self.stats = stats
        func metrics(_ method: String) -> MethodMetrics {
            let dimensions = [("service", service), ("method", method)]
            return MethodMetrics(
                requests: Counter(label: "switchyard_requests_total", dimensions: dimensions),
                duration: Metrics.Timer(
                    label: "switchyard_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds))
        }
        self.methods = Dictionary(uniqueKeysWithValues: methods.map { ($0, metrics($0)) })
        self.unknown = metrics(Self.unknownMethod)
    }

    public var admits: Bool { false }

    public func finished(_ call: CallHead, status: StatusCode, nanoseconds: Int64) {
        record(method: call.method, status: status, nanoseconds: nanoseconds)
    }

    /// Records one answer: a call's, or one to a frame that could not be read (method "").
    func record(method: String, status: StatusCode, nanoseconds: Int64) {
        stats.answered(ok: status == .ok)
        let known = methods[method]
        let metrics = known ?? unknown
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(nanoseconds)
        guard status != .ok else { return }
        errorCounter(method: known == nil ? Self.unknownMethod : method, status: status).increment()
    }

    private func errorCounter(method: String, status: StatusCode) -> Counter {
        let key = "\(method)/\(status)"
        return errors.withLockedValue { errors in
            if let counter = errors[key] { return counter }
            let counter = Counter(
                label: "switchyard_request_errors_total",
                dimensions: [("service", service), ("method", method), ("code", status.description)])
            errors[key] = counter
            return counter
        }
    }
}
