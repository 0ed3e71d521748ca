import Learner
import RouterCore
import Store
import Testing

/// Two clusters on a line (around x = -1 and x = +1), two models: "big" (dear, scored 0.8
/// everywhere offline) and "small" (cheap, 0.4), from 100 scored prompts per cell.
func twoClusterBase() -> ClusterRouterModel {
    ClusterRouterModel(
        models: ["big", "small"], pair: ModelPair(strong: 0, weak: 1),
        centroids: Matrix(rows: 2, columns: 2, storage: [-1, 0, 1, 0]), clusterSizes: [100, 100],
        performance: [0.8, 0.4, 0.8, 0.4], cost: [0.01, 0.001, 0.01, 0.001], topK: 1, beta: 10,
        observations: [100, 100, 100, 100])
}

func score(_ id: Int, _ model: String, _ value: Double, at x: Float, cost: Double = 0.001) -> LearningObservation {
    LearningObservation(
        seq: Int64(id), id: "r\(id)", score: value, source: .user, model: model, costUSD: cost, latencyMs: 1,
        embedding: [x, 0], routerVersion: nil, explored: false)
}

@Suite struct OnlineLearnerTests {
    @Test func theWarmStartKeepsTheOfflineRankingAndScoresMoveTheCellTheyFallIn() throws {
        var learner = try OnlineLearner(base: twoClusterBase())
        var router = try learner.router()
        #expect(router.model.normalization == .pool && router.model.strength != nil)
        let right = try router.estimate(RoutingQuery(embedding: [1, 0], length: 1))
        #expect(right.estimates.quality[0] > right.estimates.quality[1], "big stays ahead before any score")
        // Small turns out perfect on the right-hand cluster only.
        for i in 0..<200 { learner.observe(score(i, "small", 1, at: 1)) }
        router = try learner.router()
        let learnedRight = try router.estimate(RoutingQuery(embedding: [1, 0], length: 1)).estimates
        let learnedLeft = try router.estimate(RoutingQuery(embedding: [-1, 0], length: 1)).estimates
        #expect(learnedRight.quality[1] > 0.9 && learnedRight.quality[1] > learnedRight.quality[0])
        #expect(learnedLeft.quality[1] < learnedRight.quality[1], "the left cluster moved less (back-off only)")
        #expect(learner.learned == 200 && learner.skipped == 0)
        #expect(learnedRight.choose(alpha: 0.9) == 1, "the learned router now picks small where it is better")
    }

    @Test func theSameScoresInTheSameOrderGiveTheSameRouter() throws {
        let scores = (0..<300).map { score($0, $0 % 3 == 0 ? "big" : "small", Double($0 % 5) / 4, at: $0 % 2 == 0 ? -1 : 1) }
        var a = try OnlineLearner(base: twoClusterBase()), b = try OnlineLearner(base: twoClusterBase())
        for s in scores { a.observe(s) }
        for s in scores { b.observe(s) }
        #expect(try a.router().model == b.router().model)
    }

    @Test func scoresThatCannotBeLearnedFromAreSkippedAndCounted() throws {
        var learner = try OnlineLearner(base: twoClusterBase())
        var unembedded = score(1, "big", 1, at: 1)
        unembedded.embedding = nil
        var unanswered = score(2, "big", 1, at: 1)
        unanswered.model = nil
        for s in [unembedded, unanswered, score(3, "unknown", 1, at: 1), LearningObservation(
            seq: 4, id: "r4", score: 1, source: .user, model: "big", costUSD: 0, latencyMs: 0, embedding: [1, 0, 0], routerVersion: nil, explored: false)] {
            let learned = learner.observe(s)
            #expect(!learned)
        }
        #expect(learner.skipped == 4 && learner.learned == 0)
    }

    @Test func aModelTheGatewayAddsJoinsAtThePriorPricedFromTheOthersAndARemovedOneLeaves() throws {
        var learner = try OnlineLearner(base: twoClusterBase())
        let (joined, left) = learner.offer([
            ModelOffer(name: "big", inputPerMillion: 10, outputPerMillion: 30),
            ModelOffer(name: "small", inputPerMillion: 1, outputPerMillion: 3),
            ModelOffer(name: "new", inputPerMillion: 2, outputPerMillion: 6),
        ])
        #expect(joined == ["new"] && left.isEmpty)
        let router = try learner.router()
        #expect(router.models == ["big", "small", "new"])
        let estimate = try router.estimate(RoutingQuery(embedding: [1, 0], length: 1)).estimates
        #expect(abs(estimate.quality[2] - 0.5) < 1e-9, "the prior")
        // Priced at twice small's and a fifth of big's blended price: the mean of the two scaled costs.
        #expect(abs(estimate.cost[2] - (0.01 / 5 + 0.001 * 2) / 2) < 1e-9)
        let strength = router.model.strength!
        #expect(strength[2] < strength[0], "little evidence behind the newcomer: wide Thompson draws")
        // Learning about it, then it leaves.
        learner.observe(score(1, "new", 1, at: 1))
        #expect(learner.learned == 1)
        let after = learner.offer([ModelOffer(name: "big", inputPerMillion: 10, outputPerMillion: 30), ModelOffer(name: "new", inputPerMillion: 2, outputPerMillion: 6)])
        #expect(after.left == ["small"] && after.joined.isEmpty)
        #expect(try learner.router().models == ["big", "new"])
    }

    @Test func onlyALearnedRouterExploresAndItsDrawsFollowTheEvidence() throws {
        var generator = SeededGenerator(seed: 7)
        let offline = try ClusterRouter(model: twoClusterBase())
        let hits = try offline.nearestClusters([1, 0])
        #expect(offline.explored(offline.estimates(hits), hits, using: &generator) == nil)
        var model = twoClusterBase()
        model.normalization = .pool
        model.strength = [1e7, 2, 1e7, 2]
        let learned = try ClusterRouter(model: model)
        let draws = (0..<200).map { _ in learned.explored(learned.estimates(hits), hits, using: &generator)! }
        #expect(draws.allSatisfy { abs($0.quality[0] - 0.8) < 0.01 }, "a cell with much evidence draws its mean")
        let wide = draws.map { $0.quality[1] }
        #expect(wide.min()! < 0.2 && wide.max()! > 0.7, "a cell with little evidence draws widely")
        #expect(draws.allSatisfy { $0.relativeQuality == $0.quality })
        model.normalization = .global
        #expect(throws: RoutingError.self) { try ClusterRouter(model: model) }
    }
}
