import Metrics
import Store
import Synchronization

/// How much of the traffic may explore (a learned router's Thompson draws) and what exploring
/// may cost a day: the gateway asks the router for `share` of explored decisions while today's
/// explored answers have cost less than `dailyUSD`, and none after (until the UTC day turns). A
/// request opts out with the model `switchyard:explore=0` (or `...,explore=0` after a knob).
///
/// The answers that explored are booked here when their cost is known (and recorded with
/// `explored` in the store), so the budget can be overshot by what requests in flight at once
/// cost. Exported as `switchyard_gateway_explored_answers_total` and
/// `switchyard_gateway_exploration_spend_usd_total`, and in `switchyard outcomes summary`.
public final class ExplorationBudget: Sendable {
    /// The most share of routed decisions that explore.
    public let share: Double
    /// Dollars a day explored answers may cost.
    public let dailyUSD: Double
    private let spent: Mutex<(day: Int, usd: Double, answers: Int)>
    private let answersCounter = Counter(label: "switchyard_gateway_explored_answers_total")
    private let spendCounter = FloatingPointCounter(label: "switchyard_gateway_exploration_spend_usd_total")

    public init(share: Double = 0.1, dailyUSD: Double = 10) {
        precondition((0...1).contains(share) && dailyUSD >= 0)
        self.share = share
        self.dailyUSD = dailyUSD
        spent = Mutex((OutcomeRecord.day(ofMs: OutcomeRecord.nowMs()), 0, 0))
    }

    /// None: a gateway that never lets the router explore.
    public static let off = ExplorationBudget(share: 0, dailyUSD: 0)

    /// The share to ask the router for: 0 when the request opted out or today's budget is spent.
    public func shareFor(optedOut: Bool) -> Double { choice(optedOut: optedOut).share }

    /// Why a request could explore or not (recorded with its decision).
    public enum Reason: String, Sendable {
        /// The gateway never explores (`--explore-share 0`).
        case off
        /// The request asked not to (`explore=0`).
        case optedOut = "opted_out"
        /// Today's exploration budget is spent.
        case budgetSpent = "budget_spent"
        /// It could: the share went to the router.
        case allowed
    }

    /// The share to ask the router for, and why that share.
    public func choice(optedOut: Bool) -> (share: Double, reason: Reason) {
        if share == 0 { return (0, .off) }
        if optedOut { return (0, .optedOut) }
        return today.usd < dailyUSD ? (share, .allowed) : (0, .budgetSpent)
    }

    /// Books an answer that explored.
    public func book(_ usd: Double) {
        let day = OutcomeRecord.day(ofMs: OutcomeRecord.nowMs())
        spent.withLock { spent in
            if spent.day != day { spent = (day, 0, 0) }
            spent.usd += usd
            spent.answers += 1
        }
        answersCounter.increment()
        spendCounter.increment(by: usd)
    }

    /// Today's explored answers and their cost (restored from the store at start).
    public var today: (usd: Double, answers: Int) {
        let day = OutcomeRecord.day(ofMs: OutcomeRecord.nowMs())
        return spent.withLock { spent in
            if spent.day != day { spent = (day, 0, 0) }
            return (spent.usd, spent.answers)
        }
    }

    /// What the store says explored today before this gateway started.
    public func restore(usd: Double, answers: Int) {
        spent.withLock { spent in
            spent.usd += usd
            spent.answers += answers
        }
    }
}
