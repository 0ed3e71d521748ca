import Store
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
    /// Lets go of a hold once its request has booked its real cost.
    func release(_ hold: BudgetHold) async
}

/// Money a request in flight holds of its key's budget.
public struct BudgetHold: Sendable, Equatable {
    public let key: String
    public let amount: Double
    /// The UTC day it was held on.
    public let day: Int
    /// The shared book's id for it (empty in memory).
    public let id: String
}

extension CostLedger: BudgetBook {
    public func left(key: String, budget: Double) async throws(RPCError) -> Double {
        left(for: key, budget: budget)
    }

    public func hold(_ amount: Double, key: String, budget: Double) async throws(RPCError) -> BudgetHold? {
        hold(amount, for: key, budget: budget).map { BudgetHold(key: key, amount: amount, day: $0, id: "") }
    }

    public func release(_ hold: BudgetHold) async {
        release(hold.amount, for: hold.key, heldOn: hold.day)
    }
}

/// The budgets of a PostgreSQL store, shared by every gateway on it. While the database cannot be
/// reached, a key with a budget is refused UNAVAILABLE (a hard budget needs the one book of what
/// was spent); keys without a budget are served as usual.
public struct PostgresBudgetBook: BudgetBook {
    public let budgets: SharedBudgets
    private let today: @Sendable () -> Int

    public init(_ budgets: SharedBudgets, today: @escaping @Sendable () -> Int) {
        self.budgets = budgets
        self.today = today
    }

    public func left(key: String, budget: Double) async throws(RPCError) -> Double {
        do {
            return try await budgets.left(key: key, budget: budget, day: today())
        } catch {
            throw Self.unreachable(error)
        }
    }

    public func hold(_ amount: Double, key: String, budget: Double) async throws(RPCError) -> BudgetHold? {
        let day = today()
        do {
            return try await budgets.hold(amount, key: key, budget: budget, day: day).map {
                BudgetHold(key: key, amount: amount, day: day, id: $0.id)
            }
        } catch {
            throw Self.unreachable(error)
        }
    }

    public func release(_ hold: BudgetHold) async {
        await budgets.release(id: hold.id)
    }

    private static func unreachable(_ error: RPCError) -> RPCError {
        RPCError(
            .unavailable, "the shared budget ledger cannot be reached, so a key with a budget cannot be served now; retry (\(error.message))",
            cause: LedgerUnreachable())
    }
}

/// The shared budget ledger could not be asked (the front door answers 503, not 502: it is this
/// service that cannot serve, not an upstream that failed).
struct LedgerUnreachable: Error, Sendable {}
