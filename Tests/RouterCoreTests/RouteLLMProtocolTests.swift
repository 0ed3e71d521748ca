import Testing
@testable import RouterCore

@Suite struct RouteLLMProtocolTests {
    /// Ten prompts, worked by hand. Scores 1..10; the weak model is right on prompts 1-6, the
    /// strong one on 1-4 and 7-10 (so prompts 7-10 need the strong model, 5-6 must avoid it).
    let scores = (1...10).map(Double.init)
    let weak: [Double] = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    let strong: [Double] = [1, 1, 1, 1, 0, 0, 1, 1, 1, 1]

    @Test func thresholdsAreTheDecilesAndTheTopEdgeIsStrict() {
        // Deciles of 1..10: 1, 1.9, 2.8, ..., 9.1, 10. Score >= 1 sends all ten; score > 10 none.
        let curve = RouteLLMProtocol.curve(scores: scores, weak: weak, strong: strong)
        #expect(curve.count == 11)
        #expect(curve.map(\.strongPercent) == [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0])
        // Strong share 40% = prompts 7-10 strong: every prompt right.
        #expect(curve[6].qualityPercent == 100)
        #expect(curve[0].qualityPercent == 80 && curve[10].qualityPercent == 60)
    }

    @Test func apgrAndCptWorkedByHand() {
        // Quality by strong share: 0%: 60, 10..40%: 70, 80, 90, 100, then 90, 80 at 50, 60%
        // (prompts 6, 5 go strong and are lost), 80 up to 100% (prompts 1-4 are right either way).
        let metrics = RouteLLMProtocol.evaluate(scores: scores, weak: weak, strong: strong)
        // Area of quality over share: 0.4 x (60 + 100) / 2 + 0.2 x (100 + 80) / 2 + 0.4 x 80 = 82;
        // weak area 60, strong area 80: APGR = (82 - 60) / (80 - 60) = 1.1.
        #expect(abs(metrics.apgr - 1.1) < 1e-12)
        // PGR 20% = quality 64: between (0%, 60) and (10%, 70) -> 4%. 50% = 70 at 10%. 80% = 76 -> 16%.
        #expect(abs(metrics.cpt20 - 4) < 1e-9)
        #expect(abs(metrics.cpt50 - 10) < 1e-9)
        #expect(abs(metrics.cpt80 - 16) < 1e-9)
        #expect(!metrics.monotone)
    }

    @Test func tiedScoresRepeatAnEdgeAndAddNoArea() {
        // Two distinct scores: every decile edge is 0 or 1.
        let tied: [Double] = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
        let curve = RouteLLMProtocol.curve(scores: tied, weak: weak, strong: strong)
        #expect(Set(curve.map(\.strongPercent)) == [100, 50, 0])
        // Points (0, 60), (50, 80: prompts 6-10 strong -> prompt 6 lost, 7-10 gained), (100, 80).
        let metrics = RouteLLMProtocol.evaluate(scores: tied, weak: weak, strong: strong)
        // Area 0.5 x (60 + 90) / 2 + 0.5 x (90 + 80) / 2 = 80; APGR (80 - 60) / 20 = 1.
        #expect(curve.first { $0.strongPercent == 50 }?.qualityPercent == 90)
        #expect(abs(metrics.apgr - 1) < 1e-12)
    }

    @Test func randomIsRouteLLMsSeededLoop() {
        // CPython: random.seed(0); [random.random() for _ in range(3)]
        var twister = MersenneTwister(pythonSeed: 0)
        #expect(twister.random() == 0.8444218515250481)
        #expect(twister.random() == 0.7579544029403025)
        #expect(twister.random() == 0.420571580830845)
        // Independent results: random lands near 0.5 with CPT(x) near x.
        var generator = SeededGenerator(seed: 5)
        let w = (0..<2000).map { _ in generator.nextUnit() < 0.6 ? 1.0 : 0 }
        let s = (0..<2000).map { _ in generator.nextUnit() < 0.8 ? 1.0 : 0 }
        let random = RouteLLMProtocol.random(weak: w, strong: s)
        #expect(abs(random.apgr - 0.5) < 0.05)
        #expect(abs(random.cpt50 - 50) < 8)
    }

    @Test func optimalCurveIsRouteLLMs() {
        // Fixable prompts (weak wrong, strong right): 7-10, i.e. 4 of 10.
        let curve = RouteLLMProtocol.optimalCurve(weak: weak, strong: strong, shares: [0, 0.1, 0.25, 0.4, 1])
        #expect(curve.map(\.qualityPercent) == [60, 70, 85, 100, 100])
        // Area: 0.4 x (60 + 100) / 2 + 0.6 x 100 = 92 -> APGR (92 - 60) / 20 = 1.6.
        #expect(abs(RouteLLMProtocol.optimal(weak: weak, strong: strong).apgr - 1.6) < 1e-12)
    }

    @Test func interpolationIsNumpys() {
        #expect(RouteLLMProtocol.interp(2.5, xp: [1, 2, 3], fp: [10, 20, 30]) == 25)
        #expect(RouteLLMProtocol.interp(0, xp: [1, 2, 3], fp: [10, 20, 30]) == 10)
        #expect(RouteLLMProtocol.interp(9, xp: [1, 2, 3], fp: [10, 20, 30]) == 30)
        // numpy.interp(4.5, [1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5]) == 3.5
        #expect(RouteLLMProtocol.interp(4.5, xp: [1, 2, 3, 4, 5, 6], fp: [0, 1, 2, 3, 4, 5]) == 3.5)
        // Not monotone: numpy.interp(75, [60, 70, 80, 90, 100, 90, 80, 80], [0, 10, 20, 30, 40, 50, 60, 100]) == 15.0
        #expect(RouteLLMProtocol.interp(75, xp: [60, 70, 80, 90, 100, 90, 80, 80], fp: [0, 10, 20, 30, 40, 50, 60, 100]) == 15)
    }
}
