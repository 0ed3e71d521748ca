import Foundation
import RPC
import Store
import Synchronization
import Wire

/// What the gateway has spent, per model and in total, for Status and the metrics endpoint;
/// and per front-door API key and UTC day, for the keys' daily budgets.
public final class CostLedger: Sendable {
    fileprivate struct State {
        var usage: [String: ModelUsage] = [:]
        var totalCost = 0.0
        var fallbacks: UInt64 = 0
        var routed: UInt64 = 0
        /// Dollars per key name on `day`: spent, and held for requests in flight (in all, and
        /// each hold by its id).
        var keySpend: [String: Double] = [:]
        var keyHeld: [String: Double] = [:]
        var holds: [String: (key: String, amount: Double)] = [:]
        var nextHold = 0
        var day = 0
    }

    private let state = Mutex(State())
    private let requests = ModelCounters(label: "switchyard_gateway_requests_total", service: "gateway")
    private let failures = ModelCounters(label: "switchyard_gateway_upstream_failures_total", service: "gateway")
    private let dollars = ModelCounters(label: "switchyard_gateway_cost_usd_total", service: "gateway")

    /// The current UTC day as a number (days since 1970).
    public let today: @Sendable () -> Int

    /// - Parameter today: the current UTC day as a number (days since 1970); tests move it.
    public init(today: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970 / 86_400) }) {
        self.today = today
    }

    /// An answered call to `model`, paid for by the front-door key named `key` (if any); the
    /// hold `settling` (the request's) is let go in the same step, so the cost is never counted
    /// twice (held and spent) nor not at all.
    func answered(by model: String, inputTokens: UInt32, outputTokens: UInt32, cost: Double, key: String? = nil, settling: BudgetHold? = nil) {
        // The day is read only for a key's spending (the protobuf path books without one).
        let day = key == nil ? nil : today()
        state.withLock { state in
            if let key, let day {
                state.rollOver(to: day)
                state.keySpend[key, default: 0] += cost
            }
            if let settling { state.release(settling) }
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

    /// Takes what the keys had spent on UTC day `day` from the outcome store (at start-up: a
    /// budget spent before a restart stays spent).
    public func restore(spend: [String: Double], day: Int) {
        state.withLock { state in
            state.rollOver(to: day)
            for (key, spent) in spend { state.keySpend[key] = max(state.keySpend[key] ?? 0, spent) }
        }
    }

    /// The current UTC day, as the ledger counts days.
    public var currentDay: Int { today() }

    /// What the key named `key` has spent today (UTC), in dollars.
    func spentToday(by key: String) -> Double {
        let day = today()
        return state.withLock { state in
            state.rollOver(to: day)
            return state.keySpend[key] ?? 0
        }
    }

    /// What the key named `key` may still spend today under `budget`: the budget less what it
    /// spent and what its requests in flight hold.
    func left(for key: String, budget: Double) -> Double {
        let day = today()
        return state.withLock { state in
            state.rollOver(to: day)
            return budget - (state.keySpend[key] ?? 0) - (state.keyHeld[key] ?? 0)
        }
    }

    /// Holds `amount` of `key`'s budget for a request in flight, so requests running at the same
    /// time cannot together spend more than the budget; nil (nothing held) when it does not fit.
    func hold(_ amount: Double, for key: String, budget: Double) -> BudgetHold? {
        let day = today()
        return state.withLock { state in
            state.rollOver(to: day)
            guard (state.keySpend[key] ?? 0) + (state.keyHeld[key] ?? 0) + amount <= budget + BudgetSlack.dollars else { return nil }
            let id = "local-\(state.nextHold)"
            state.nextHold += 1
            state.holds[id] = (key, amount)
            state.keyHeld[key, default: 0] += amount
            return BudgetHold(key: key, amount: amount, day: day, id: id)
        }
    }

    /// Lets go of `hold`; nothing when it was let go already (`answered` settles it) or was
    /// taken on another day.
    func letGo(_ hold: BudgetHold) {
        state.withLock { $0.release(hold) }
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

extension CostLedger.State {
    /// Forgets the keys' spending when the day has changed.
    fileprivate mutating func rollOver(to day: Int) {
        if day != self.day {
            self.day = day
            keySpend = [:]
            keyHeld = [:]
            holds = [:]
        }
    }

    fileprivate mutating func release(_ hold: BudgetHold) {
        guard let held = holds.removeValue(forKey: hold.id) else { return }
        keyHeld[held.key] = max(0, (keyHeld[held.key] ?? 0) - held.amount)
    }
}
