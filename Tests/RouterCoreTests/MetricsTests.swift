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

    @Test func randomRouterCPTIsCloseToX() throws {
        // 2000 prompts, strong right on 80%, weak on 60%, independent.
        var random = SeededGenerator(seed: 5)
        let scores = (0..<2000).map { _ in [random.nextUnit() < 0.6 ? 1.0 : 0, random.nextUnit() < 0.8 ? 1.0 : 0] }
        let set = completeSet(models: ["weak", "strong"], scores: scores, costs: Array(repeating: [1, 10], count: 2000))
        let none = Array(repeating: ModelEstimates(quality: [0, 0], cost: [0, 0]), count: 2000)
        let report = Evaluator().report(name: "t", test: set, trainCount: 0, routerVersion: "t", cluster: none, knn: none)
        let random50 = try #require(report.strongWeak?.rows.first { $0.router == "random" })
        #expect(abs(random50.apgr - 0.5) < 0.05)
        #expect(abs(random50.cpt50! - 0.5) < 0.08)
        #expect(abs(random50.cpt80! - 0.8) < 0.08)
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

    @Test func oracleIsBestPerPromptAndCheapestOnTies() {
        let set = completeSet(models: ["a", "b"], scores: [[1, 1], [0, 1], [1, 0]], costs: [[2, 1], [1, 5], [1, 5]])
        let none = Array(repeating: ModelEstimates(quality: [0, 0], cost: [0, 0]), count: 3)
        let report = Evaluator().report(name: "t", test: set, trainCount: 0, routerVersion: "t", cluster: none, knn: none)
        #expect(report.oracle.quality == 1)
        #expect(abs(report.oracle.cost - (1 + 5 + 1) / 3.0) < 1e-12)
    }
}
