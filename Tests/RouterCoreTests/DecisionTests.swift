import Foundation
import Testing
@testable import RouterCore

/// Three models: "small" cheap and weak, "mid", "large" dear and best.
private let decider = Decider(models: ["small", "mid", "large"], pair: ModelPair(strong: 2, weak: 0))

private func estimate(quality: [Double] = [0.5, 0.7, 0.9], cost: [Double] = [0.001, 0.005, 0.03], score: Double = 0.4) -> RouterEstimate {
    RouterEstimate(
        estimates: ModelEstimates(quality: quality, cost: cost, qualityRange: 0...1, costRange: 0.001...0.03), strongWinScore: score)
}

@Suite struct DecisionTests {
    @Test func alphaSlidesFromCheapestToBest() throws {
        #expect(try decider.decide(estimate(), objective: .tradeoff(alpha: 0)).model == 0)
        #expect(try decider.decide(estimate(), objective: .tradeoff(alpha: 1)).model == 2)
        #expect(try decider.decide(estimate(), objective: .tradeoff(alpha: 1)).ranking == [2, 1, 0])
    }

    @Test func theRankingBreaksTiesByCostThenByIndex() throws {
        // Equal quality: the cheaper first; equal quality and cost: the lower index first.
        let tied = estimate(quality: [0.8, 0.8, 0.8], cost: [0.01, 0.002, 0.01])
        #expect(try decider.decide(tied, objective: .budget(maxCostUSD: 1)).ranking == [1, 0, 2])
        let mixed = estimate(quality: [0.6, 0.9, 0.6], cost: [0.004, 0.03, 0.001])
        #expect(try decider.decide(mixed, objective: .penalty(lambda: 0)).ranking == [1, 2, 0])
    }

    @Test func lambdaPricesTheDollars() throws {
        // 0.9 - 10 x 0.03 = 0.6 < 0.7 - 10 x 0.005 = 0.65: mid.
        #expect(try decider.decide(estimate(), objective: .penalty(lambda: 10)).model == 1)
        #expect(try decider.decide(estimate(), objective: .penalty(lambda: 0)).model == 2)
    }

    @Test func aBudgetNeverPicksAModelOverIt() throws {
        for budget in [0.001, 0.002, 0.005, 0.01, 0.03, 1] {
            let decision = try decider.decide(estimate(), objective: .budget(maxCostUSD: budget))
            #expect(decision.ranking.allSatisfy { estimate().estimates.cost[$0] <= budget })
            #expect(decision.model == decision.ranking[0])
        }
        #expect {
            try decider.decide(estimate(), objective: .budget(maxCostUSD: 0.0005))
        } throws: { error in
            guard case RoutingError.unaffordable(let reason) = error else { return false }
            return reason.contains("the cheapest allowed, small")
        }
    }

    @Test func thresholdsRouteBetweenThePair() throws {
        let strong = try decider.decide(estimate(score: 0.6), objective: .threshold(0.5))
        #expect(strong.model == 2 && strong.ranking == [2, 0] && strong.threshold == 0.5)
        #expect(try decider.decide(estimate(score: 0.5), objective: .threshold(0.5)).model == 2, "at the threshold: strong")
        #expect(try decider.decide(estimate(score: 0.4), objective: .threshold(0.5)).model == 0)
        #expect(throws: RoutingError.self) {
            try decider.decide(estimate(), objective: .threshold(0.5), constraints: RoutingConstraints(allowed: [0, 1]))
        }
    }

    @Test func aStrongShareNeedsACalibration() throws {
        #expect(throws: RoutingError.self) { try decider.decide(estimate(), objective: .strongShare(0.3)) }
        let calibration = Calibration(scores: (0..<100).map { Double($0) / 100 }, source: "t")
        #expect(try decider.decide(estimate(score: 0.8), objective: .strongShare(0.3), calibration: calibration).model == 2)
        #expect(try decider.decide(estimate(score: 0.6), objective: .strongShare(0.3), calibration: calibration).model == 0)
        #expect(throws: RoutingError.self) { try decider.decide(estimate(), objective: .strongShare(1), calibration: calibration) }
    }

    @Test func latencyCapsFilterAndNameTheFastest() throws {
        let limits = RoutingConstraints(maxLatencyMs: 500, latencyMs: [100, 400, 2000])
        #expect(try decider.decide(estimate(), objective: .tradeoff(alpha: 1), constraints: limits).model == 1)
        #expect {
            try decider.decide(estimate(), objective: .tradeoff(alpha: 1), constraints: RoutingConstraints(maxLatencyMs: 50, latencyMs: [100, 400, 2000]))
        } throws: { error in
            guard case RoutingError.unaffordable(let reason) = error else { return false }
            return reason.contains("the fastest, small, takes 100")
        }
    }

    @Test(arguments: [0.05, 0.1, 0.3, 0.5, 0.7, 0.95])
    func calibrationHitsTheRequestedShare(share: Double) throws {
        var random = SeededGenerator(seed: 9)
        let scores = (0..<5000).map { _ in random.nextUnit() * random.nextUnit() }
        let calibration = Calibration(scores: scores, source: "t")
        let threshold = try calibration.threshold(forStrongShare: share)
        let reached = Double(scores.count { $0 >= threshold }) / Double(scores.count)
        #expect(abs(reached - share) < 0.01, "asked \(share), reached \(reached)")
    }

    @Test func calibrationRejectsSharesOutsideTheOpenInterval() {
        let calibration = Calibration(scores: [0, 1], source: "t")
        for share in [0, 1, -0.1, 1.5, .nan] {
            #expect(throws: RoutingError.self) { try calibration.threshold(forStrongShare: share) }
        }
    }
}

@Suite struct BatchBudgetTests {
    /// Every assignment of models to prompts, for brute force.
    private func bestByBruteForce(_ estimates: [ModelEstimates], budget: Double) -> Double {
        let m = estimates[0].quality.count
        var best = -Double.infinity
        let total = Int(pow(Double(m), Double(estimates.count)))
        for code in 0..<total {
            var rest = code, cost = 0.0, quality = 0.0
            for e in estimates {
                let pick = rest % m
                rest /= m
                cost += e.cost[pick]
                quality += e.quality[pick]
            }
            if cost <= budget + 1e-12 { best = max(best, quality) }
        }
        return best
    }

    @Test(arguments: 0..<40)
    func theAssignmentIsOptimalAndWithinBudget(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let n = 3 + seed % 4, m = 2 + seed % 3
        let estimates = (0..<n).map { _ in
            ModelEstimates(quality: (0..<m).map { _ in random.nextUnit() }, cost: (0..<m).map { _ in random.nextUnit() * 0.01 })
        }
        let floor = estimates.reduce(0.0) { $0 + $1.cost.min()! }
        let ceiling = estimates.reduce(0.0) { $0 + $1.cost.max()! }
        let budget = floor + (ceiling - floor) * random.nextUnit()
        for maxStates in [200_000, 1] {  // the exact frontier, and the Lagrangian fallback
            let picks = try BatchBudget.assign(estimates, budget: budget, maxStates: maxStates)
            let cost = zip(estimates, picks).reduce(0.0) { $0 + $1.0.cost[$1.1] }
            let quality = zip(estimates, picks).reduce(0.0) { $0 + $1.0.quality[$1.1] }
            #expect(cost <= budget + 1e-12)
            if maxStates > 1 {
                #expect(abs(quality - bestByBruteForce(estimates, budget: budget)) < 1e-9)
            } else {
                // Within one prompt's largest gain of the optimum.
                let slack = estimates.map { $0.quality.max()! - $0.quality.min()! }.max()!
                #expect(quality >= bestByBruteForce(estimates, budget: budget) - slack - 1e-9)
            }
        }
    }

    @Test func aBudgetBelowTheCheapestIsRefused() {
        let estimates = [ModelEstimates(quality: [0.5, 0.9], cost: [0.01, 0.1])]
        #expect(throws: RoutingError.self) { try BatchBudget.assign(estimates, budget: 0.005) }
    }
}
