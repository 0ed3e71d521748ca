import Testing
@testable import RouterCore

@Suite struct MetricsTests {
    @Test func apgrAndCptOfAStraightLineAreHalfAndX() {
        let curve = StrongWeakCurve(measured: [], weakQuality: 0.6, strongQuality: 0.8)
        #expect(abs(curve.apgr - 0.5) < 1e-12)
        #expect(abs(curve.cpt(0.5)! - 0.5) < 1e-12)
        #expect(abs(curve.cpt(0.8)! - 0.8) < 1e-12)
    }

    @Test func oracleAPGRWorkedByHand() {
        // Weak 0.6, strong 0.8, oracle reaches 0.9 with 30% strong calls.
        // PGR: 0 at 0, 1.5 at 0.3, 1 at 1. Area = 0.3 * 1.5 / 2 + 0.7 * (1.5 + 1) / 2 = 0.225 + 0.875.
        let curve = StrongWeakCurve(measured: [(0.3, 0.9)], weakQuality: 0.6, strongQuality: 0.8)
        #expect(abs(curve.apgr - 1.1) < 1e-12)
        // PGR 0.5 is reached a third of the way to 0.3.
        #expect(abs(curve.cpt(0.5)! - 0.1) < 1e-12)
    }

    @Test func paretoFrontierAndHull() {
        let points = [(1.0, 0.5), (2.0, 0.55), (3.0, 0.9), (4.0, 0.8), (2.5, 0.6)]
            .map { OperatingPoint(label: "", quality: $0.1, cost: $0.0) }
        #expect(CostQuality.paretoFrontier(points).map(\.cost) == [1, 2, 2.5, 3])
        // (2, 0.55) and (2.5, 0.6) lie under the segment from (1, 0.5) to (3, 0.9).
        let hull = CostQuality.hull(points.map { ($0.cost, $0.quality) })
        #expect(hull.map(\.cost) == [1, 3])
        #expect(abs(CostQuality.hullQuality(hull, at: 2)! - 0.7) < 1e-12)
        #expect(CostQuality.hullQuality(hull, at: 10) == 0.9)
        #expect(CostQuality.hullQuality(hull, at: 0.5) == nil)
    }

    @Test func aiqWorkedByHand() {
        // Hull from (0, 0.2) to (1, 0.6), flat after: mean over [0, 2] = (0.4 + 0.6) / 2 = 0.5.
        let aiq = CostQuality.aiq([(0, 0.2), (1, 0.6)], over: 0...2)
        #expect(abs(aiq - 0.5) < 1e-6)
    }

    @Test func costToReachInterpolatesAlongTheFrontier() {
        let points = [OperatingPoint(label: "", quality: 0.5, cost: 1), OperatingPoint(label: "", quality: 0.9, cost: 3)]
        #expect(abs(CostQuality.costToReach(0.7, on: points)! - 2) < 1e-12)
        #expect(CostQuality.costToReach(0.95, on: points) == nil)
    }

    @Test func avengersFiguresWorkedByHand() {
        // Singles: cheap (cost 1, quality 0.5), best (cost 10, quality 0.8). The router's curve
        // reaches 0.8 at cost 4 and peaks at 0.84 at cost 6.
        let singles = [OperatingPoint(label: "cheap", quality: 0.5, cost: 1), OperatingPoint(label: "best", quality: 0.8, cost: 10)]
        let curve = [(1.0, 0.5), (4.0, 0.8), (6.0, 0.84)].map { OperatingPoint(label: "r", quality: $0.1, cost: $0.0) }
        let figures = CostAwareFigures(curve: curve, singles: singles)
        #expect(abs(figures.gainPercent - 5) < 1e-9)  // 0.84 / 0.8 - 1
        #expect(abs(figures.savedAtBestPercent! - 60) < 1e-9)  // 0.8 at cost 4 instead of 10
        // 90% of 0.8 = 0.72: on the segment (1, 0.5)-(4, 0.8) at cost 1 + 3 x 0.22 / 0.3 = 3.2.
        #expect(abs(figures.savedAt90Percent! - 68) < 1e-9)
        // Zero router: the hull of the singles, a line from 0.5 to 0.8 over [1, 10]: mean 0.65.
        #expect(abs(CostAwareFigures.zeroRouterAIQ(singles) - 0.65) < 1e-6)
        // The router's hull: (1, 0.5) to (4, 0.8) to (6, 0.84), then flat; mean over [1, 10].
        let expected = (3 * (0.5 + 0.8) / 2 + 2 * (0.8 + 0.84) / 2 + 4 * 0.84) / 9
        #expect(abs(figures.aiq - expected) < 1e-4)
    }

    @Test func aRouterThatNeverReachesTheBestModelSavesNothingThere() {
        let singles = [OperatingPoint(label: "cheap", quality: 0.5, cost: 1), OperatingPoint(label: "best", quality: 0.8, cost: 10)]
        let figures = CostAwareFigures(curve: [OperatingPoint(label: "r", quality: 0.7, cost: 2)], singles: singles)
        #expect(figures.savedAtBestPercent == nil)
        #expect(figures.gainPercent < 0)
    }

    @Test func oracleIsBestPerPromptAndCheapestOnTies() throws {
        let set = completeSet(models: ["a", "b"], scores: [[1, 1], [0, 1], [1, 0]], costs: [[2, 1], [1, 5], [1, 5]])
        let data = TrainingData(set: set, embeddings: Matrix([[1, 0], [0, 1], [1, 1]], columns: 2))
        let split = try SplitEvaluation(specs: [], train: data, test: data, seed: 1)
        #expect(split.oracle.quality == 1)
        #expect(abs(split.oracle.cost - (1 + 5 + 1) / 3.0) < 1e-12)
    }

    @Test func theSplitIsSeededAndDisjoint() {
        let a = Split(count: 100, trainFraction: 0.7, seed: 42)
        #expect(a == Split(count: 100, trainFraction: 0.7, seed: 42))
        #expect(a != Split(count: 100, trainFraction: 0.7, seed: 7))
        #expect(a.train.count == 70 && a.test.count == 30)
        #expect(Set(a.train).isDisjoint(with: a.test))
        #expect(Set(a.train + a.test) == Set(0..<100))
    }

    @Test func perBenchmarkFiguresUseEachBenchmarksPrompts() throws {
        // Two benchmarks; the router's score separates them perfectly on "b" and not at all on "a".
        let scores: [[Double]] = [[1, 1], [0, 1], [1, 1], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]
        let set = completeSet(
            models: ["weak", "strong"], scores: scores, costs: Array(repeating: [1, 10], count: 8),
            datasets: ["a", "a", "a", "a", "b", "b", "b", "b"])
        // kNN with one neighbour on distinct one-hot embeddings recalls each prompt's own gain.
        let data = TrainingData(set: set, embeddings: Matrix((0..<8).map { i in (0..<8).map { $0 == i ? Float(1) : 0 } }, columns: 8))
        let split = try SplitEvaluation(specs: [RouterSpec(.knn, ["neighbors": 1])], train: data, test: data, seed: 1)
        let result = split.results[0]
        #expect(Set(result.perDataset.keys) == ["a", "b"])
        let own = RouteLLMProtocol.evaluate(
            scores: [4, 5, 6, 7].map { result.estimates[$0].strongWinScore }, weak: [1, 0, 1, 0], strong: [0, 1, 0, 1])
        #expect(result.perDataset["b"] == own)
    }
}
