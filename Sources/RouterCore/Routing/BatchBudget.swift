/// Routoo's batch budget: N prompts and a total number of dollars; pick a model per prompt so
/// that the total predicted quality is highest and the total predicted cost stays within the
/// budget (a multiple-choice knapsack).
///
/// Solved exactly by dynamic programming over Pareto frontiers (after each prompt, keep only the
/// partial assignments no other one beats on both cost and quality) while the frontier stays
/// below `maxStates`; beyond that, by Lagrangian relaxation (for a price lambda on dollars every
/// prompt takes the model with the best quality - lambda x cost; the smallest lambda whose choices
/// fit is found by bisection) followed by the upgrades with the best quality per dollar that
/// still fit, which is within one prompt's gain of optimal.
public enum BatchBudget {
    /// A model index per prompt; throws `RoutingError.unaffordable` when even the cheapest model
    /// for every prompt costs more than `budget`.
    public static func assign(
        _ estimates: [ModelEstimates], budget: Double, allowed: [Int]? = nil, maxStates: Int = 200_000
    ) throws -> [Int] {
        guard !estimates.isEmpty else { return [] }
        let models = allowed ?? Array(estimates[0].quality.indices)
        guard !models.isEmpty else { throw RoutingError.invalid("no allowed models") }
        let floor = estimates.reduce(0.0) { total, e in total + models.map { e.cost[$0] }.min()! }
        guard floor <= budget + 1e-12 else {
            throw RoutingError.unaffordable(
                "the batch needs at least $\(floor) with the cheapest model for every prompt; the budget is $\(budget)")
        }
        return exact(estimates, budget: budget, models: models, maxStates: maxStates)
            ?? lagrangian(estimates, budget: budget, models: models)
    }

    /// The optimal assignment by Pareto-frontier dynamic programming; nil when the frontier
    /// outgrows `maxStates`.
    static func exact(_ estimates: [ModelEstimates], budget: Double, models: [Int], maxStates: Int) -> [Int]? {
        struct State { var cost: Double; var quality: Double; var previous: Int; var model: Int }
        var stages: [[State]] = []
        var frontier = [State(cost: 0, quality: 0, previous: -1, model: -1)]
        for e in estimates {
            var next: [State] = []
            next.reserveCapacity(frontier.count * models.count)
            for (index, state) in frontier.enumerated() {
                for m in models where state.cost + e.cost[m] <= budget + 1e-12 {
                    next.append(State(cost: state.cost + e.cost[m], quality: state.quality + e.quality[m], previous: index, model: m))
                }
            }
            next.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.quality > $1.quality) }
            var pruned: [State] = []
            for state in next where state.quality > (pruned.last?.quality ?? -.infinity) { pruned.append(state) }
            guard pruned.count <= maxStates else { return nil }
            stages.append(pruned)
            frontier = pruned
        }
        // The best quality in budget is the frontier's last state; walk back.
        var picks = [Int](repeating: 0, count: estimates.count)
        var index = frontier.count - 1
        for stage in stride(from: stages.count - 1, through: 0, by: -1) {
            let state = stages[stage][index]
            picks[stage] = state.model
            index = state.previous
        }
        return picks
    }

    /// Lagrangian relaxation and a greedy fill of the budget left.
    static func lagrangian(_ estimates: [ModelEstimates], budget: Double, models: [Int]) -> [Int] {
        func choices(_ lambda: Double) -> [Int] {
            estimates.map { e in
                models.max { a, b in
                    let (sa, sb) = (e.quality[a] - lambda * e.cost[a], e.quality[b] - lambda * e.cost[b])
                    return sa < sb || (sa == sb && e.cost[a] > e.cost[b])
                }!
            }
        }
        func total(_ picks: [Int]) -> Double { zip(estimates, picks).reduce(0.0) { $0 + $1.0.cost[$1.1] } }
        var picks = choices(0)
        if total(picks) > budget {
            var low = 0.0, high = 1.0
            while total(choices(high)) > budget && high < 1e300 { high *= 2 }
            for _ in 0..<200 {
                let mid = (low + high) / 2
                if total(choices(mid)) > budget { low = mid } else { high = mid }
            }
            picks = choices(high)
        }
        var spent = total(picks)
        while true {
            var best: (prompt: Int, model: Int, ratio: Double, extra: Double)?
            for (i, e) in estimates.enumerated() {
                for m in models where e.quality[m] > e.quality[picks[i]] {
                    let extra = e.cost[m] - e.cost[picks[i]]
                    guard spent + extra <= budget + 1e-12 else { continue }
                    let ratio = extra <= 0 ? .infinity : (e.quality[m] - e.quality[picks[i]]) / extra
                    if best.map({ ratio > $0.ratio }) ?? true { best = (i, m, ratio, extra) }
                }
            }
            guard let upgrade = best else { break }
            picks[upgrade.prompt] = upgrade.model
            spent += upgrade.extra
        }
        return picks
    }
}
