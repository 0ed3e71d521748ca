import Metrics
import NIOConcurrencyHelpers
import Wire

/// Per-method request, error and latency metrics through swift-metrics (Prometheus when the
/// service bootstraps it; nothing otherwise).
///
///   switchyard_requests_total{service, method}
///   switchyard_request_errors_total{service, method, code}
///   switchyard_request_duration_seconds{service, method}   (histogram)
final class RPCMetrics: Sendable {
    private let service: String
    private let requests: [String: Counter]
    private let durations: [String: Metrics.Timer]
    private let errors = NIOLockedValueBox<[String: Counter]>([:])
    static let unknownMethod = "unknown"

    init(service: String, methods: [String]) {
        self.service = service
        var requests: [String: Counter] = [:]
        var durations: [String: Metrics.Timer] = [:]
        for method in methods + [Self.unknownMethod] {
            let dimensions = [("service", service), ("method", method)]
            requests[method] = Counter(label: "switchyard_requests_total", dimensions: dimensions)
            durations[method] = Metrics.Timer(
                label: "switchyard_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        }
        self.requests = requests
        self.durations = durations
    }

    /// Records one answered request.
    func record(method: String, status: StatusCode, nanoseconds: Int64) {
        let method = requests[method] == nil ? Self.unknownMethod : method
        requests[method]!.increment()
        durations[method]!.recordNanoseconds(nanoseconds)
        guard status != .ok else { return }
        errorCounter(method: method, status: status).increment()
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
