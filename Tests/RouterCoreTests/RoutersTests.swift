import Foundation
import Testing
@testable import RouterCore

/// Prompts around four topics in 16 dimensions. On topic 0 only the strong model is right, on
/// topics 1 and 3 both are, on topic 2 neither; 10% of results flipped.
func plantedData(perTopic: Int = 60, seed: UInt64 = 11) -> TrainingData {
    let centers = (0..<4).map { t in (0..<16).map { $0 == t * 4 ? Float(1) : 0 } }
    let (points, labels) = blobs(centers, perCenter: perTopic, spread: 0.3, seed: seed)
    var random = SeededGenerator(seed: seed + 1)
    let truth: [[Double]] = [[0, 1], [1, 1], [0, 0], [1, 1]]
    let scores = labels.map { label in truth[label].map { random.nextUnit() < 0.1 ? 1 - $0 : $0 } }
    let costs = labels.map { _ in [0.001, 0.02] }
    let normalized = Matrix((0..<points.rows).map { Vectors.normalized(points.row($0)) }, columns: 16)
    return TrainingData(set: completeSet(models: ["weak", "strong"], scores: scores, costs: costs), embeddings: normalized)
}

@Suite struct RoutersTests {
    static let learners: [RouterSpec] = [
        RouterSpec(.cluster, ["k": 4, "top_k": 1]), RouterSpec(.knn, ["neighbors": 10]), RouterSpec(.predictor),
        RouterSpec(.classifier), RouterSpec(.mf, ["dim": 8]), RouterSpec(.swRanking),
    ]

    @Test(arguments: learners)
    func everyRouterBeatsRandomOnPlantedData(spec: RouterSpec) throws {
        let train = plantedData(seed: 11), test = plantedData(perTopic: 40, seed: 23)
        let split = try SplitEvaluation(specs: [spec], train: train, test: test, seed: 42)
        let apgr = try #require(split.results[0].routeLLM?.apgr)
        let random = try #require(split.random?.apgr)
        #expect(apgr > random + 0.25, "\(spec): APGR \(apgr) vs random \(random)")
    }

    @Test(arguments: learners + [RouterSpec(.length), RouterSpec(.random)])
    func everyRouterSurvivesARouterFile(spec: RouterSpec) throws {
        let data = plantedData(perTopic: 20)
        let router = spec.train(data, seed: 1)
        let copy = try router.stored().router()
        #expect(copy.kind == spec.kind && copy.models == router.models && copy.pair == router.pair)
        let (a, b) = (try copy.estimateAll(data.embeddings, lengths: data.lengths), try router.estimateAll(data.embeddings, lengths: data.lengths))
        #expect(zip(a, b).allSatisfy { abs($0.strongWinScore - $1.strongWinScore) < 1e-4 })
    }

    @Test func theRandomRoutersCoinIsUniformReproducibleAndSeeded() throws {
        let data = plantedData(perTopic: 200)
        let scores = { (seed: UInt64) in
            try RouterSpec(.random).train(data, seed: seed).estimateAll(data.embeddings, lengths: data.lengths).map(\.strongWinScore)
        }
        let first = try scores(1)
        #expect(try scores(1) == first)
        #expect(try scores(2) != first)
        let deciles = (0..<10).map { d in first.filter { Int($0 * 10) == d }.count }
        #expect(deciles.allSatisfy { abs($0 - first.count / 10) < first.count / 20 }, "\(deciles)")
    }

    @Test func matrixFactorizationLearnsAPlantedPreference() throws {
        // Three models; on topic x model 2 beats 0 beats 1, on topic y model 0 beats 1 beats 2.
        let (points, labels) = blobs([[1, 0, 0, 0], [0, 1, 0, 0]], perCenter: 80, spread: 0.1, seed: 3)
        let scores = labels.map { $0 == 0 ? [0.5, 0.0, 1.0] : [1.0, 0.5, 0.0] }
        let set = completeSet(models: ["a", "b", "c"], scores: scores, costs: Array(repeating: [1, 1, 1], count: scores.count))
        let router = MatrixFactorizationTrainer(dim: 8, seed: 5).train(TrainingData(set: set, embeddings: points))
        let s = router.scores(Matrix([[1, 0, 0, 0], [0, 1, 0, 0]], columns: 4))
        #expect(MatrixFactorizationRouter.sigmoid(Double(s.storage[2] - s.storage[0])) > 0.8, "c beats a on x")
        #expect(MatrixFactorizationRouter.sigmoid(Double(s.storage[3] - s.storage[5])) > 0.8, "a beats c on y")
    }

    @Test func knnEstimatesAreItsNeighboursMeans() throws {
        let set = completeSet(models: ["weak", "strong"], scores: [[1, 0], [0, 1], [0, 0]], costs: [[1, 4], [2, 6], [3, 8]])
        let data = TrainingData(set: set, embeddings: Matrix([[1, 0], [0.8, 0.6], [0, 1]], columns: 2))
        let estimate = try KNNRouter(data, neighbors: 2).estimate(RoutingQuery(embedding: [1, 0], length: 1))
        #expect(estimate.estimates.quality == [0.5, 0.5])
        #expect(estimate.estimates.cost == [1.5, 5])
        #expect(estimate.strongWinScore == 0)
    }

    @Test func similarityWeightedRankingWithTwoModelsIsTheWeightedStrongShare() throws {
        // Battles: prompt 0 strong wins, prompts 1 and 2 ties.
        let set = completeSet(models: ["weak", "strong"], scores: [[0, 1], [1, 1], [0, 0]], costs: Array(repeating: [1, 2], count: 3))
        let data = TrainingData(set: set, embeddings: Matrix([[1, 0], [0.6, 0.8], [0, 1]], columns: 2))
        let router = SimilarityWeightedRouter(data)
        // Query (1, 0): similarities 1, 0.6, 0 -> weights 10 x 10^(s / 1) = 100, 39.8, 10.
        let w: [Double] = [100, 10 * pow(10, 0.6), 10]
        let wins: Double = w[0] + w[1] * 0.5 + w[2] * 0.5
        let expected = wins / (w[0] + w[1] + w[2])
        let estimate = try router.estimate(RoutingQuery(embedding: [1, 0], length: 1))
        #expect(abs(estimate.strongWinScore - expected) < 1e-6)
    }

    @Test func bradleyTerryRecoversPlantedStrengths() {
        // Strengths 4 : 2 : 1 -> win probabilities 2/3, 4/5, 2/3, observed as expected counts.
        let r = [4.0, 2, 1]
        var wins = [[Double]](repeating: [0, 0, 0], count: 3)
        for a in 0..<3 { for b in 0..<3 where a != b { wins[a][b] = 300 * r[a] / (r[a] + r[b]) } }
        let fitted = BradleyTerry.strengths(wins, prior: 0)
        #expect(abs(fitted[0] / fitted[2] - 4) < 1e-3)
        #expect(abs(fitted[1] / fitted[2] - 2) < 1e-3)
    }

    @Test func theClassifierPredictsTheWinLabel() {
        let set = completeSet(models: ["weak", "strong"], scores: [[0, 1], [1, 1], [1, 0], [0.2, 0.7]], costs: Array(repeating: [1, 2], count: 4))
        let labels = NetworkRouter.labels(set, pair: ModelPair(set))
        #expect(labels.row(0) == [1, 0, 0])
        #expect(labels.row(1) == [0, 1, 0])
        #expect(labels.row(2) == [0, 0, 1])
        #expect(zip(labels.row(3), [0.5, 0.5, 0]).allSatisfy { abs($0 - Float($1)) < 1e-6 })
    }

    @Test func crossValidationRanksTheLearnersAboveTheBaselines() throws {
        let data = plantedData(perTopic: 30)
        let rows = try CrossValidation(folds: 3).run([RouterSpec(.length), RouterSpec(.knn, ["neighbors": 5])], on: data)
        #expect(rows.first?.spec == "knn(neighbors=5)")
        #expect(rows.allSatisfy { $0.metric == "APGR" && $0.min <= $0.mean && $0.mean <= $0.max })
    }
}
