import Testing
@testable import RouterCore

/// Two topics (vectors near x or near y). Model "cheap" is good at topic x, "pricey" at topic y;
/// "pricey" costs 10x more.
private func topicData() -> TrainingData {
    let (points, labels) = blobs([[1, 0, 0, 0], [0, 1, 0, 0]], perCenter: 40, spread: 0.05)
    let scores = labels.map { $0 == 0 ? [0.9, 0.8] : [0.2, 0.9] }
    let costs = labels.map { _ in [0.001, 0.01] }
    return TrainingData(set: completeSet(models: ["cheap", "pricey"], scores: scores, costs: costs), embeddings: points)
}

private func topicRouter(normalization: Normalization = .global) -> ClusterRouter {
    ClusterRouterTrainer(clusters: 2, topK: 1, smoothing: 0, normalization: normalization).train(topicData())
}

private func decide(_ router: ClusterRouter, _ vector: [Float], _ objective: Objective, allowed: [Int]? = nil) throws -> Decision {
    try Decider(router).decide(
        router.estimate(RoutingQuery(embedding: vector, length: 10)), objective: objective, constraints: RoutingConstraints(allowed: allowed))
}

@Suite struct ClusterRouterTests {
    @Test(arguments: Normalization.allCases)
    func picksTheKnownBestModelPerCluster(normalization: Normalization) throws {
        let router = topicRouter(normalization: normalization)
        #expect(try decide(router, [0, 1, 0, 0], .tradeoff(alpha: 0.9)).model == 1)
        #expect(try decide(router, [1, 0, 0, 0], .tradeoff(alpha: 0.9)).model == 0)
    }

    @Test func alphaOnePicksTheBestScorerAndZeroTheCheapest() throws {
        let router = topicRouter()
        #expect(try decide(router, [0, 1, 0, 0], .tradeoff(alpha: 1)).model == 1)
        #expect(try decide(router, [0, 1, 0, 0], .tradeoff(alpha: 0)).model == 0)
        // On topic x the cheap model is also the best scorer.
        #expect(try decide(router, [1, 0, 0, 0], .tradeoff(alpha: 1)).model == 0)
    }

    @Test func theStrongWinScoreIsThePredictedGain() throws {
        let router = topicRouter()
        #expect(router.pair == ModelPair(strong: 1, weak: 0))
        let y = try router.estimate(RoutingQuery(embedding: [0, 1, 0, 0], length: 1))
        let x = try router.estimate(RoutingQuery(embedding: [1, 0, 0, 0], length: 1))
        #expect(abs(y.strongWinScore - 0.7) < 1e-9)
        #expect(abs(x.strongWinScore - -0.1) < 1e-9)
    }

    @Test func reportsClustersNearestFirstWithWeightsSummingToOne() throws {
        let (points, _) = blobs([[1, 0], [0, 1], [-1, 0]], perCenter: 10, spread: 0.01)
        let set = completeSet(models: ["a"], scores: Array(repeating: [1], count: 30), costs: Array(repeating: [1], count: 30))
        let router = ClusterRouterTrainer(clusters: 3, topK: 3, beta: 5).train(TrainingData(set: set, embeddings: points))
        let hits = try router.nearestClusters([0.9, 0.1])
        #expect(hits.count == 3)
        #expect(hits.map(\.distance) == hits.map(\.distance).sorted())
        #expect(abs(hits.map(\.weight).reduce(0, +) - 1) < 1e-9)
        #expect(hits[0].weight > hits[1].weight)
    }

    @Test func badEmbeddingsAreInvalid() throws {
        let router = topicRouter()
        #expect(throws: RoutingError.self) { try router.estimate(RoutingQuery(embedding: [1, 0], length: 1)) }
        #expect(throws: RoutingError.self) { try router.estimate(RoutingQuery(embedding: [.nan, 0, 0, 0], length: 1)) }
    }

    @Test func inconsistentModelsAreRejectedWithEveryProblem() throws {
        var model = topicRouter().model
        model.performance[0] = .nan
        model.topK = 0
        #expect {
            try ClusterRouter(model: model)
        } throws: { error in
            guard case RoutingError.badModel(let problems) = error else { return false }
            return problems.count == 2
        }
    }

    @Test func storedAndReadBackItDecidesTheSame() throws {
        let router = topicRouter(normalization: .perCluster)
        let copy = try router.stored().router()
        for vector: [Float] in [[1, 0, 0, 0], [0, 1, 0, 0], [0.5, 0.5, 0, 0]] {
            let query = RoutingQuery(embedding: vector, length: 3)
            let (a, b) = (try copy.estimate(query), try router.estimate(query))
            #expect(abs(a.strongWinScore - b.strongWinScore) < 1e-6)
            #expect(zip(a.estimates.relativeQuality, b.estimates.relativeQuality).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }
}

/// Traffic scores only the model that answered: each cell averages what was recorded in it.
@Suite struct ObservedScoresTests {
    /// Two topics; on topic x "a" answered every other prompt (score 0.9) and "b" the rest
    /// (0.2); on topic y only "b" answered (0.8). Unrecorded entries are nil.
    func traffic() -> (PromptSet, Matrix) {
        let (points, labels) = blobs([[1, 0, 0, 0], [0, 1, 0, 0]], perCenter: 20, spread: 0.05)
        let records = labels.enumerated().map { i, topic -> PromptSet.Record in
            let aAnswered = topic == 0 && i % 2 == 0
            let scores: [Double?] = aAnswered ? [0.9, nil] : [nil, topic == 0 ? 0.2 : 0.8]
            return PromptSet.Record(id: "\(i)", prompt: "p\(i)", scores: scores, costs: scores.map { $0 == nil ? nil : 0.001 })
        }
        return (PromptSet(models: ["a", "b"], records: records), points)
    }

    @Test func observedKeepsEveryAnsweredPromptAndMarksTheGaps() {
        let (set, _) = traffic()
        #expect(set.complete(minimumCoverage: 0.1).0.count == 0, "no prompt scores both models")
        let (observed, report) = set.observed(minimumObservations: 5)
        #expect(observed.count == 40 && report.droppedPrompts == 0)
        #expect(observed.observed?.map { $0.filter { $0 }.count } == Array(repeating: 1, count: 40))
        #expect(abs(observed.meanScores[0] - 0.9) < 1e-12, "a's mean is over what it was scored on")
        #expect(abs(observed.meanScores[1] - (10 * 0.2 + 20 * 0.8) / 30) < 1e-12)
        let (strict, dropped) = set.observed(minimumObservations: 11)
        #expect(strict.models == ["b"] && dropped.droppedModels.map(\.model) == ["a"] && dropped.droppedPrompts == 10)
    }

    @Test func theClusterRouterLearnsEachCellFromItsRecordedEntries() throws {
        let (set, points) = traffic()
        let observed = set.observed(minimumObservations: 5).0
        let router = ClusterRouterTrainer(clusters: 2, topK: 1, smoothing: 0).train(TrainingData(set: observed, embeddings: points))
        let x = try router.estimate(RoutingQuery(embedding: [1, 0, 0, 0], length: 1)).estimates.quality
        let y = try router.estimate(RoutingQuery(embedding: [0, 1, 0, 0], length: 1)).estimates.quality
        #expect(abs(x[0] - 0.9) < 1e-9 && abs(x[1] - 0.2) < 1e-9, "topic x: a 0.9, b 0.2, not diluted by the gaps")
        #expect(abs(y[1] - 0.8) < 1e-9)
        // Never tried on topic y, "a" stays at its overall mean (no data pulls it anywhere).
        #expect(abs(y[0] - 0.9) < 1e-9)
    }
}
