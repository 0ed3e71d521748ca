import Metrics
import NIOConcurrencyHelpers

/// A swift-metrics counter per model name (requests, dollars, ...), made on first use:
/// `<label>{service, model}`, e.g. `switchyard_routed_requests_total{service="router", model="gpt-4"}`.
public final class ModelCounters: Sendable {
    private let label: String
    private let service: String
    private let counters = NIOLockedValueBox<[String: FloatingPointCounter]>([:])

    public init(label: String, service: String) {
        self.label = label
        self.service = service
    }

    /// Adds `amount` to `model`'s counter.
    public func increment(_ model: String, by amount: Double = 1) {
        counter(model).increment(by: amount)
    }

    private func counter(_ model: String) -> FloatingPointCounter {
        counters.withLockedValue { counters in
            if let counter = counters[model] { return counter }
            let counter = FloatingPointCounter(label: label, dimensions: [("service", service), ("model", model)])
            counters[model] = counter
            return counter
        }
    }
}
