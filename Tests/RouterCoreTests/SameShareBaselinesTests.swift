import Testing
@testable import RouterCore

/// The demo's yardsticks on four prompts small enough to work out by hand.
@Suite struct SameShareBaselinesTests {
    // Prompt 0: only the strong model is right; 1: both; 2: neither; 3: only the weak one.
    let prompts: [SameShareBaselines.Prompt] = [
        .init(strongScore: 1, weakScore: 0, strongCost: 10, weakCost: 1),
        .init(strongScore: 1, weakScore: 1, strongCost: 10, weakCost: 1),
        .init(strongScore: 0, weakScore: 0, strongCost: 10, weakCost: 1),
        .init(strongScore: 0, weakScore: 1, strongCost: 10, weakCost: 1),
    ]

    @Test func aRouterThatSendsTheRightPromptIsTheOracleAndBeatsEveryRandomDraw() {
        let b = SameShareBaselines(prompts, sentToStrong: [true, false, false, false], draws: 500)
        #expect(b.strongShare == 0.25)
        #expect(b.routed == .init(quality: 0.75, cost: 13) && b.oracle == b.routed)
        #expect(b.alwaysStrong == .init(quality: 0.5, cost: 40) && b.alwaysWeak == .init(quality: 0.5, cost: 4))
        // One of four prompts to the strong model at random: quality 0.25, 0.5 or 0.75, mean 0.5.
        #expect(b.randomQualityRange == 0.25...0.75)
        #expect(abs(b.random.quality - 0.5) < 0.03 && abs(b.random.cost - 13) < 1e-9)
        #expect(b.routed.quality <= b.randomQualityRange.upperBound, "the oracle ties the luckiest draw")
        // Every share of the random line has quality 0.5 here; the routed quality is beyond it.
        #expect(b.randomQualityAtRoutedCost == 0.5 && b.randomCostAtRoutedQuality == nil)
    }

    @Test func theWrongPromptIsBelowRandomAndTheLineGivesEqualCostAndQuality() {
        let tilted = [prompts[0], prompts[1], prompts[2], .init(strongScore: 0, weakScore: 0, strongCost: 10, weakCost: 1)]
        let b = SameShareBaselines(tilted, sentToStrong: [false, false, false, true], draws: 100)
        #expect(b.routed.quality == 0.25 && b.alwaysStrong.quality == 0.5 && b.alwaysWeak.quality == 0.25)
        // The routed cost (13) is a quarter of the way from always-weak (4) to always-strong (40).
        #expect(abs(b.randomQualityAtRoutedCost - (0.25 + 0.25 * 0.25)) < 1e-12)
        #expect(b.randomCostAtRoutedQuality == 4)
        #expect(b.oracle.quality == 0.5)
        // The same seed gives the same draws.
        #expect(SameShareBaselines(tilted, sentToStrong: [false, false, false, true], draws: 100) == b)
    }
}
