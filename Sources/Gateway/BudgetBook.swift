import Logging
import Metrics
import Store
import Synchronization
import Wire

/// Where API keys' daily budgets are decided: in this gateway's memory (`CostLedger`: one gateway,
/// its spend restored from the outcome store at start-up), or in PostgreSQL (`SharedBudgets`: every
/// gateway on the store sees one spend per key, and holds are decided across them).
public protocol BudgetBook: Sendable {
    /// What `key` may still spend today (UTC) under `budget`: less what it spent and what its
    /// requests in flight hold.
    func left(key: String, budget: Double) async throws(RPCError) -> Double
    /// Holds `amount` of `key`'s budget for a request in flight; nil when it does not fit.
    func hold(_ amount: Double, key: String, budget: Double) async throws(RPCError) -> BudgetHold?
    /// Lets go of a hold (a request that ended without an answer to book). A hold its answer's
    /// booking settled is gone already: releasing it again does nothing.
    func release(_ hold: BudgetHold) async
}

/// Money a request in flight holds of its key's budget.
public struct BudgetHold: Sendable, Equatable {
    public let key: String
    public let amount: Double
    /// The UTC day it was held on.
    public let day: Int
    /// Its id in the book that holds it ("local-N" in a gateway's memory, a UUID in PostgreSQL).
    public let id: String

    /// Whether this gateway's memory holds it (not the shared book).
    public var isLocal: Bool { id.hasPrefix("local-") }
}

extension CostLedger: BudgetBook {
    public func left(key: String, budget: Double) async throws(RPCError) -> Double {
        left(for: key, budget: budget)
    }

    public func hold(_ amount: Double, key: String, budget: Double) async throws(RPCError) -> BudgetHold? {
        hold(amount, for: key, budget: budget)
    }

    public func release(_ hold: BudgetHold) async {
        letGo(hold)
    }
}

/// The budgets of a PostgreSQL store, shared by every gateway on it. While the database cannot
/// be reached, this gateway decides alone from its own ledger: the shared spend it last saw plus
/// what it has booked since, and its own holds (each decision counted as degraded). So requests
/// go on being answered through an outage; the price is that gateways which cannot see each
/// other may together overspend a key by what each lets through before the database is back.
public final class PostgresBudgetBook: BudgetBook {
    public let budgets: SharedBudgets
    /// This gateway's own ledger: what it falls back on.
    public let local: CostLedger
    private let degraded = Counter(label: "switchyard_gateway_budget_degraded_total")
    /// Whether the last decision fell back (its change is logged, not every decision).
    private let away = Atomic(false)
    private let logger: Logger

    public init(_ budgets: SharedBudgets, local: CostLedger, logger: Logger = Logger(label: "switchyard.gateway")) {
        self.budgets = budgets
        self.local = local
        self.logger = logger
    }

    public func left(key: String, budget: Double) async throws(RPCError) -> Double {
        let day = local.currentDay
        do {
            let usage = try await budgets.usage(key: key, day: day)
            reached()
            local.restore(spend: [key: usage.spent], day: day)
            return budget - usage.spent - usage.held
        } catch {
            fellBack(error)
            return local.left(for: key, budget: budget)
        }
    }

    public func hold(_ amount: Double, key: String, budget: Double) async throws(RPCError) -> BudgetHold? {
        let day = local.currentDay
        do {
            return try await budgets.hold(amount, key: key, budget: budget, day: day).map {
                BudgetHold(key: key, amount: amount, day: day, id: $0.id)
            }
        } catch {
            fellBack(error)
            return try await local.hold(amount, key: key, budget: budget)
        }
    }

    public func release(_ hold: BudgetHold) async {
        // A hold taken while the database was away is the local ledger's.
        if hold.isLocal { return local.letGo(hold) }
        await budgets.release(id: hold.id)
    }

    private func fellBack(_ error: RPCError) {
        degraded.increment()
        if !away.exchange(true, ordering: .relaxed) {
            logger.warning("shared budget ledger unreachable: deciding from this gateway's own ledger", metadata: ["error": "\(error.message)"])
        }
    }

    private func reached() {
        if away.exchange(false, ordering: .relaxed) { logger.notice("shared budget ledger reachable again") }
    }
}
