import Testing
@testable import RouterCore

/// Two topics (vectors near x or near y). Model "cheap" is good at topic x, "pricey" at topic y;
/// "pricey" costs 10x more.
private func topicRouter(normalization: Normalization = .global) throws -> ClusterRouter {
    let (points, labels) = blobs([[1, 0, 0, 0], [0, 1, 0, 0]], perCenter: 40, spread: 0.05)
    let scores = labels.map { $0 == 0 ? [0.9, 0.8] : [0.2, 0.9] }
    let costs = labels.map { _ in [0.001, 0.01] }
    let set = completeSet(models: ["cheap", "pricey"], scores: scores, costs: costs)
    let model = ClusterRouterTrainer(clusters: 2, topK: 1, smoothing: 0, normalization: normalization)
        .train(set, embeddings: points, embedder: EmbedderSpec(kind: "test", dimension: 4), prices: [nil, nil])
    return try ClusterRouter(model: model)
}

@Suite struct ClusterRouterTests {
    @Test(arguments: Normalization.allCases)
    func picksTheKnownBestModelPerCluster(normalization: Normalization) throws {
        let router = try topicRouter(normalization: normalization)
        #expect(try router.route([0, 1, 0, 0], objective: .tradeoff(alpha: 0.9)).model == 1)
        #expect(try router.route([1, 0, 0, 0], objective: .tradeoff(alpha: 0.9)).model == 0)
    }

    @Test func alphaOnePicksTheBestScorerAndZeroTheCheapest() throws {
        let router = try topicRouter()
        #expect(try router.route([0, 1, 0, 0], objective: .tradeoff(alpha: 1)).model == 1)
        #expect(try router.route([0, 1, 0, 0], objective: .tradeoff(alpha: 0)).model == 0)
        // On topic x the cheap model is also the best scorer.
        #expect(try router.route([1, 0, 0, 0], objective: .tradeoff(alpha: 1)).model == 0)
    }

    @Test func budgetPicksTheBestAffordableModel() throws {
        let router = try topicRouter()
        #expect(try router.route([0, 1, 0, 0], objective: .budget(maxCostUSD: 0.02)).model == 1)
        #expect(try router.route([0, 1, 0, 0], objective: .budget(maxCostUSD: 0.005)).model == 0)
        // Nothing affordable: the cheapest.
        #expect(try router.route([0, 1, 0, 0], objective: .budget(maxCostUSD: 0)).model == 0)
    }

    @Test func allowedModelsRestrictTheChoice() throws {
        let router = try topicRouter()
        let decision = try router.route([0, 1, 0, 0], objective: .tradeoff(alpha: 1), allowed: [0])
        #expect(decision.model == 0)
        #expect(decision.scores[1] == nil)
    }

    @Test func reportsClustersNearestFirstWithWeightsSummingToOne() throws {
        let (points, _) = blobs([[1, 0], [0, 1], [-1, 0]], perCenter: 10, spread: 0.01)
        let set = completeSet(models: ["a"], scores: Array(repeating: [1], count: 30), costs: Array(repeating: [1], count: 30))
        let model = ClusterRouterTrainer(clusters: 3, topK: 3, beta: 5)
            .train(set, embeddings: points, embedder: EmbedderSpec(kind: "test", dimension: 2), prices: [nil])
        let hits = try ClusterRouter(model: model).nearestClusters([0.9, 0.1])
        #expect(hits.count == 3)
        #expect(hits.map(\.distance) == hits.map(\.distance).sorted())
        #expect(abs(hits.map(\.weight).reduce(0, +) - 1) < 1e-9)
        #expect(hits[0].weight > hits[1].weight)
    }

    @Test func badRequestsAreInvalidArguments() throws {
        let router = try topicRouter()
        #expect(throws: RoutingError.self) { try router.route([1, 0], objective: .tradeoff(alpha: 0.5)) }
        #expect(throws: RoutingError.self) { try router.route([1, 0, 0, 0], objective: .tradeoff(alpha: 1.5)) }
        #expect(throws: RoutingError.self) { try router.route([.nan, 0, 0, 0], objective: .tradeoff(alpha: 0.5)) }
        #expect(throws: RoutingError.self) { try router.route([1, 0, 0, 0], objective: .budget(maxCostUSD: -1)) }
        #expect(throws: RoutingError.self) { try router.route([1, 0, 0, 0], objective: .tradeoff(alpha: 0.5), allowed: []) }
    }

    @Test func inconsistentModelsAreRejectedWithEveryProblem() throws {
        var model = try topicRouter().model
        model.performance[0] = .nan
        model.topK = 0
        #expect {
            try ClusterRouter(model: model)
        } throws: { error in
            guard case RoutingError.badModel(let problems) = error else { return false }
            return problems.count == 2
        }
    }
}
