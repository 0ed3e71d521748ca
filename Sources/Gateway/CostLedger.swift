import RPC
import Synchronization
import Wire

/// What the gateway has spent, per model and in total, for Status and the metrics endpoint.
public final class CostLedger: Sendable {
    private struct State {
        var usage: [String: ModelUsage] = [:]
        var totalCost = 0.0
        var fallbacks: UInt64 = 0
        var routed: UInt64 = 0
    }

    private let state = Mutex(State())
    private let requests = ModelCounters(label: "switchyard_gateway_requests_total", service: "gateway")
    private let failures = ModelCounters(label: "switchyard_gateway_upstream_failures_total", service: "gateway")
    private let dollars = ModelCounters(label: "switchyard_gateway_cost_usd_total", service: "gateway")

    public init() {}

    /// An answered call to `model`.
    func answered(by model: String, inputTokens: UInt32, outputTokens: UInt32, cost: Double) {
        state.withLock { state in
            var usage = state.usage[model] ?? ModelUsage(model: model)
            usage.requests += 1
            usage.inputTokens += UInt64(inputTokens)
            usage.outputTokens += UInt64(outputTokens)
            usage.costUSD += cost
            state.usage[model] = usage
            state.totalCost += cost
        }
        requests.increment(model)
        dollars.increment(model, by: cost)
    }

    /// A call to `model` that failed.
    func failed(_ model: String) {
        state.withLock { state in
            var usage = state.usage[model] ?? ModelUsage(model: model)
            usage.failures += 1
            state.usage[model] = usage
        }
        failures.increment(model)
    }

    /// A request with model "auto"; `fellBack` when a model other than the router's first answered.
    func routed(fellBack: Bool) {
        state.withLock { state in
            state.routed += 1
            if fellBack { state.fallbacks += 1 }
        }
    }

    /// The gateway's part of Status; models by name.
    public var status: GatewayStatus {
        state.withLock { state in
            var status = GatewayStatus()
            status.totalCostUSD = state.totalCost
            status.models = state.usage.values.sorted { $0.model < $1.model }
            status.fallbacks = state.fallbacks
            status.routed = state.routed
            return status
        }
    }
}
