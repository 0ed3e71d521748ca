import Testing
@testable import RouterCore

/// The learning simulation on two topics and three models: "strong" (dear, right everywhere),
/// "cheap-a" (right on topic 0 only) and "cheap-b" (right on topic 1 only). The best router sends
/// each topic to its cheap model.
@Suite struct LearningSimulationTests {
    static let data: TrainingData = {
        let (embeddings, topics) = blobs([[1, 0, 0, 0], [0, 0, 1, 0]], perCenter: 300, spread: 0.2)
        let scores = topics.map { topic in [1.0, topic == 0 ? 1 : 0, topic == 1 ? 1 : 0] }
        let costs = topics.map { _ in [0.01, 0.001, 0.001] }
        return TrainingData(set: completeSet(models: ["strong", "cheap-a", "cheap-b"], scores: scores, costs: costs), embeddings: embeddings)
    }()

    /// A half-life of 100 observations: this stream is short (840 prompts), and forgetting is
    /// what lets a learner follow a change (the default, 2000, suits streams of real traffic).
    func simulation() -> LearningSimulation {
        var learner = ClusterLearner.Settings()
        learner.halfLife = 100
        return LearningSimulation(
            data: Self.data, alpha: 0.7, labelledShare: 0.3, passes: 2, learner: learner, trainer: ClusterRouterTrainer(clusters: 2, topK: 1))
    }

    @Test func withNoChangeTheOfflineRouterIsAlreadyBestAndTheLearnersGetClose() {
        let runs = simulation().run(.stationary, seed: 42)
        let oracle = runs[.oracle]!.meanUtility
        #expect(abs(runs[.offline]!.meanUtility - oracle) < 1e-9, "two clean topics: the offline router is the oracle")
        #expect(runs[.warmLearner]!.lastThirdUtility > oracle - 0.02)
        // One global bandit cannot tell the topics apart: it ends on one cheap model or the strong one.
        #expect(runs[.globalBandit]!.lastThirdUtility < runs[.warmLearner]!.lastThirdUtility)
    }

    @Test func afterDriftTheLearnersRecoverAndTheOfflineRouterDoesNot() {
        let runs = simulation().run(.drift(1, 2), seed: 42)
        let offline = runs[.offline]!.lastThirdUtility, warm = runs[.warmLearner]!.lastThirdUtility
        #expect(offline < 0.4, "the frozen router keeps sending each topic to the model now wrong on it: \(offline)")
        #expect(warm > 0.85, "the learner follows the swap: \(warm)")
        #expect(runs[.coldLearner]!.lastThirdUtility > 0.85)
    }

    @Test func aNewModelMissingFromTheLabelledDataIsFoundByTheLearners() {
        let runs = simulation().run(.newModel(2), seed: 7)
        // Offline: topic 1 goes to the strong model (cheap-b is unknown): right, but dear.
        let offline = runs[.offline]!.lastThirdUtility, warm = runs[.warmLearner]!.lastThirdUtility
        #expect(warm > offline + 0.05, "the learner moves topic 1 to cheap-b: \(warm) vs \(offline)")
        let tail = runs[.warmLearner]!.chosen.suffix(200)
        #expect(tail.filter { $0 == 2 }.count > 60, "cheap-b takes topic 1's traffic")
    }
}
