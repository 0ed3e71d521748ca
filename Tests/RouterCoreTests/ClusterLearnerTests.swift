import Testing
@testable import RouterCore

/// The learner's statistics: back-off, warm start, forgetting, new and removed models, and
/// Thompson sampling finding a better model.
@Suite struct ClusterLearnerTests {
    let near0 = [ClusterRouter.ClusterWeight(cluster: 0, distance: 0, weight: 1)]
    let near1 = [ClusterRouter.ClusterWeight(cluster: 1, distance: 0, weight: 1)]

    @Test func aCellWithLittleDataBacksOffToTheModelsGlobalEstimate() {
        var settings = ClusterLearner.Settings()
        settings.halfLife = .infinity  // no forgetting, so the sums are exact
        var learner = ClusterLearner(models: ["a", "b"], clusterCount: 2, settings: settings)
        #expect(learner.estimate(cluster: 0, model: 0).mean == 0.5, "the prior before any evidence")
        for _ in 0..<20 { learner.observe(near0, model: 0, score: 1) }
        let global = learner.globalEstimate(0)
        #expect(abs(global.mean - 21.0 / 22.0) < 1e-9)
        // Cluster 0 holds 20 observations; cluster 1 none: it takes the model's global estimate.
        #expect(abs(learner.estimate(cluster: 0, model: 0).mean - (20 + 10 * global.mean) / 30) < 1e-9)
        #expect(abs(learner.estimate(cluster: 1, model: 0).mean - global.mean) < 1e-9)
        #expect(learner.estimate(cluster: 1, model: 1).mean == 0.5)
    }

    @Test func aWarmStartCountsTheOfflineStatisticsUpToItsCap() {
        let offline = ClusterRouterModel(
            models: ["a", "b"], pair: ModelPair(strong: 0, weak: 1), centroids: Matrix(rows: 2, columns: 2, storage: [1, 0, 0, 1]),
            clusterSizes: [100, 5], performance: [0.9, 0.4, 0.3, 0.6], cost: [1, 0.1, 1, 0.1], topK: 1, beta: 1)
        let learner = ClusterLearner(offline: offline)
        let rich = learner.estimate(cluster: 0, model: 0), poor = learner.estimate(cluster: 1, model: 1)
        // 20 pseudo-observations (the cap) of 0.9, and 5 of 0.6, each backed off 10 toward the global mean.
        #expect(abs(rich.strength - 30) < 1e-9 && abs(poor.strength - 15) < 1e-9)
        let globalA = learner.globalEstimate(0).mean, globalB = learner.globalEstimate(1).mean
        #expect(abs(rich.mean - (20 * 0.9 + 10 * globalA) / 30) < 1e-9)
        #expect(abs(poor.mean - (5 * 0.6 + 10 * globalB) / 15) < 1e-9)
    }

    /// A model that gets worse is followed: after four half-lives of zeros, the ones before count
    /// a sixteenth.
    @Test func forgettingFollowsAModelThatChanges() {
        var settings = ClusterLearner.Settings()
        settings.halfLife = 500
        settings.changeThreshold = 0  // forgetting alone
        var learner = ClusterLearner(models: ["a"], clusterCount: 1, settings: settings)
        for _ in 0..<2000 { learner.observe(near0, model: 0, score: 1) }
        #expect(learner.estimate(cluster: 0, model: 0).mean > 0.99)
        for _ in 0..<2000 { learner.observe(near0, model: 0, score: 0) }
        let mean = learner.estimate(cluster: 0, model: 0).mean
        #expect(mean < 0.08 && mean > 0.04, "\(mean)")
    }

    /// A model whose scores fall from 0.8 to 0.2 is a change, noticed within about a window of its
    /// observations: every estimate keeps a tenth of its evidence, so the changed model's estimate
    /// follows at once and the other model's draws widen. Noisy scores around a steady mean are no change.
    @Test func aModelThatChangesIsNoticedAndNoiseIsNot() {
        var generator = SeededGenerator(seed: 3)
        var learner = ClusterLearner(models: ["a", "b"], clusterCount: 2)
        for _ in 0..<3000 {
            learner.observe(near0, model: 0, score: generator.nextUnit() < 0.8 ? 1 : 0)
            learner.observe(near0, model: 1, score: generator.nextUnit() < 0.5 ? 1 : 0)
        }
        #expect(learner.changes == 0, "binary scores around a steady mean")
        let strengthBefore = learner.estimate(cluster: 0, model: 1).strength
        var noticedAfter: Int?
        for i in 0..<300 {
            learner.observe(near0, model: 0, score: generator.nextUnit() < 0.2 ? 1 : 0)
            if noticedAfter == nil, learner.changes > 0 { noticedAfter = i + 1 }
        }
        let noticed = noticedAfter ?? 0
        #expect(noticed > 0 && noticed <= 100, "noticed after \(noticed) observations")
        #expect(!learner.changedModels.isEmpty && learner.changedModels.allSatisfy { $0 == "a" }, "only the model that changed: \(learner.changedModels)")
        #expect(learner.estimate(cluster: 0, model: 0).mean < 0.4, "the changed model's estimate followed")
        #expect(learner.estimate(cluster: 0, model: 1).strength < strengthBefore / 5, "the other model is explored again")
        // Learning from the prior is not a change: a cold learner far from the truth at first.
        var cold = ClusterLearner(models: ["a"], clusterCount: 2)
        for _ in 0..<500 { cold.observe(near0, model: 0, score: 1) }
        #expect(cold.changes == 0)
    }

    @Test func modelsJoinAtThePriorAndLeaveAtOnce() {
        var learner = ClusterLearner(models: ["a", "b"], clusterCount: 2)
        for _ in 0..<10 { learner.observe(near1, model: 1, score: 0.2) }
        let before = learner.estimate(cluster: 1, model: 1)
        learner.add(model: "c")
        #expect(learner.models == ["a", "b", "c"] && learner.estimate(cluster: 1, model: 2).mean == 0.5)
        #expect(learner.estimate(cluster: 1, model: 1) == before)
        learner.remove(model: "a")
        #expect(learner.models == ["b", "c"] && learner.estimates(near1).count == 2)
        #expect(learner.estimate(cluster: 1, model: 0) == before)
    }

    /// Two known models (0.6 and 0.5 right), then a third that is right 90% of the time joins with
    /// no data: Thompson sampling tries it and it takes most of the traffic soon after.
    @Test func thompsonSamplingFindsANewBetterModel() {
        var learner = ClusterLearner(models: ["good", "fair"], clusterCount: 1)
        var generator = SeededGenerator(seed: 42)
        let truth = ["good": 0.6, "fair": 0.5, "new": 0.9]
        for _ in 0..<200 {
            learner.observe(near0, model: 0, score: Double.random(in: 0..<1, using: &generator) < 0.6 ? 1 : 0)
            learner.observe(near0, model: 1, score: Double.random(in: 0..<1, using: &generator) < 0.5 ? 1 : 0)
        }
        learner.add(model: "new")
        var chosen: [String] = []
        for _ in 0..<400 {
            let draws = learner.sample(near0, using: &generator)
            let pick = draws.indices.max { draws[$0] < draws[$1] }!
            let name = learner.models[pick]
            chosen.append(name)
            learner.observe(near0, model: pick, score: Double.random(in: 0..<1, using: &generator) < truth[name]! ? 1 : 0)
        }
        let firstWindow = (0...(chosen.count - 50)).first { start in chosen[start..<start + 50].filter { $0 == "new" }.count >= 40 }
        #expect(firstWindow != nil && firstWindow! <= 150, "the new model had 80% of 50 prompts from prompt \(firstWindow ?? -1)")
        #expect(chosen.suffix(100).filter { $0 == "new" }.count >= 85)
    }

    @Test func betaDrawsHaveTheirMean() {
        var generator = SeededGenerator(seed: 7)
        for (a, b) in [(2.0, 5.0), (0.5, 0.5), (30.0, 3.0)] {
            let draws = (0..<20_000).map { _ in BetaSampler.sample(alpha: a, beta: b, using: &generator) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - a / (a + b)) < 0.01, "Beta(\(a), \(b)): \(mean)")
            #expect(draws.allSatisfy { (0...1).contains($0) })
        }
    }

    @Test func theUtilityIsAvengersProsOnThePoolsCostRange() {
        #expect(ClusterLearner.utility(quality: 0.8, cost: 0.01, alpha: 0.9, cheapest: 0.01, dearest: 0.05) == 0.9 * 0.8 + 0.1)
        #expect(abs(ClusterLearner.utility(quality: 0.8, cost: 0.03, alpha: 0.5, cheapest: 0.01, dearest: 0.05) - (0.4 + 0.25)) < 1e-12)
        #expect(ClusterLearner.utility(quality: 0.8, cost: 1, alpha: 0.5, cheapest: 1, dearest: 1) == 0.9)
    }
}

/// A cluster router fitted on prompts alone: the prior everywhere, no observation behind it, costs
/// from the given per-prompt estimates; a learner warm-started from it starts at the prior.
@Suite struct PromptsOnlyRouterTests {
    @Test func promptsAloneGiveThePriorAndNothingToWarmStartFrom() throws {
        let (embeddings, topics) = blobs([[1, 0], [0, 1]], perCenter: 50, spread: 0.1)
        let costs = topics.map { topic in [topic == 0 ? 0.01 : 0.02, 0.001] }
        let router = ClusterRouterTrainer(clusters: 2, topK: 1).train(prompts: embeddings, models: ["dear", "cheap"], costs: costs)
        #expect(router.model.performance.allSatisfy { $0 == 0.5 } && router.model.observations == [0, 0, 0, 0])
        #expect(router.model.pair == ModelPair(strong: 0, weak: 1))
        // Each cluster's cost is its own prompts' mean.
        let dearCosts = router.model.cost.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).sorted()
        #expect(abs(dearCosts[0] - 0.01) < 1e-12 && abs(dearCosts[1] - 0.02) < 1e-12)
        // The observations survive the router file's form (which keeps floats).
        let restored = try ClusterRouter(stored: router.stored()).model
        #expect(restored.observations == [0, 0, 0, 0] && restored.performance == router.model.performance)
        #expect(zip(restored.cost, router.model.cost).allSatisfy { abs($0 - $1) < 1e-8 })
        let start = ClusterLearner(offline: router.model).estimate(cluster: 0, model: 0)
        #expect(start.mean == 0.5 && start.strength == 2, "the prior and its two pseudo-observations, nothing more")
    }
}
