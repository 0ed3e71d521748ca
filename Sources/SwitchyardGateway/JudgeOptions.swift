import ArgumentParser
import Gateway
import Logging
import ServiceKit
import Store

/// The gateway's flags for its LLM judge: which upstream grades, how many answers, for how much.
struct JudgeOptions: ParsableArguments {
    @Option(help: "An upstream (by name) that grades a sample of answers; each grade is recorded as feedback from the judge (needs --store).")
    var judge: String?

    @Option(help: "The share of answers the judge grades, in [0, 1].")
    var judgeSample = 0.05

    @Option(help: "Dollars the judge may spend per UTC day (booked in the store: a restart does not renew it).")
    var judgeBudgetUsd = 1.0

    func validate() throws {
        if !(0...1).contains(judgeSample) { throw ValidationError("--judge-sample must be in [0, 1]") }
        if !(judgeBudgetUsd >= 0 && judgeBudgetUsd.isFinite) { throw ValidationError("--judge-budget-usd must be a number >= 0") }
    }

    /// The judge, or nil without --judge; its spend today taken from `spend` (the store's).
    func make(
        upstreams: [any Upstream], store: OutcomeStore?, spend: [String: Double], ledger: CostLedger, logger: Logger
    ) throws -> LLMJudge? {
        guard let judge else { return nil }
        guard let store else { throw StartupError("--judge needs --store: its grades are feedback on recorded answers") }
        guard let upstream = upstreams.first(where: { $0.configuration.name == judge }) else {
            throw StartupError("--judge: no upstream named \"\(judge)\"; configured: \(upstreams.map(\.configuration.name).sorted().joined(separator: ", "))")
        }
        let made = LLMJudge(
            .init(model: judge, sample: judgeSample, dailyBudgetUSD: judgeBudgetUsd), upstream: upstream, store: store, today: ledger.today,
            logger: logger)
        made.restore(spent: spend[LLMJudge.spendKey] ?? 0, day: ledger.currentDay)
        logger.info("judge", metadata: ["model": "\(judge)", "sample": "\(judgeSample)", "daily_budget_usd": "\(judgeBudgetUsd)"])
        return made
    }
}
