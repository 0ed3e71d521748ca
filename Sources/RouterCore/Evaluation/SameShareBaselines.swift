/// What a two-model router's choices are worth, judged on the same prompts by what else could
/// have sent the same share of them to the strong model: a random router (seeded draws of that
/// many prompts), the oracle (the prompts where the strong model gains most), and the random
/// router's quality at the routed cost and cost at the routed quality (moving along the line
/// from always-weak to always-strong). This is how the demo shows skill rather than a saving that
/// cost-awareness alone would give.
public struct SameShareBaselines: Sendable, Equatable {
    /// Per prompt: each model's recorded score and cost.
    public struct Prompt: Sendable, Equatable {
        public var strongScore, weakScore, strongCost, weakCost: Double
        public init(strongScore: Double, weakScore: Double, strongCost: Double, weakCost: Double) {
            (self.strongScore, self.weakScore, self.strongCost, self.weakCost) = (strongScore, weakScore, strongCost, weakCost)
        }
    }

    /// A way of answering every prompt: its mean quality and its total cost.
    public struct Outcome: Sendable, Equatable {
        public var quality: Double
        public var cost: Double
    }

    /// The share of prompts the router sent to the strong model.
    public let strongShare: Double
    public let routed: Outcome
    /// The random router at the same share: mean, and least and greatest quality over the draws.
    public let random: Outcome
    public let randomQualityRange: ClosedRange<Double>
    public let draws: Int
    /// The best quality any router sending that many prompts to the strong model reaches.
    public let oracle: Outcome
    /// The random router's expected quality at the routed cost, and cost at the routed quality
    /// (nil beyond always-strong's quality).
    public let randomQualityAtRoutedCost: Double
    public let randomCostAtRoutedQuality: Double?
    public let alwaysStrong: Outcome
    public let alwaysWeak: Outcome

    /// - Parameters:
    ///   - sentToStrong: per prompt, whether the router chose the strong model.
    public init(_ prompts: [Prompt], sentToStrong: [Bool], draws: Int = 200, seed: UInt64 = 42) {
        precondition(prompts.count == sentToStrong.count && !prompts.isEmpty && draws > 0)
        let n = prompts.count
        func outcome(_ strong: (Int) -> Bool) -> Outcome {
            var quality = 0.0, cost = 0.0
            for (i, p) in prompts.enumerated() {
                quality += strong(i) ? p.strongScore : p.weakScore
                cost += strong(i) ? p.strongCost : p.weakCost
            }
            return Outcome(quality: quality / Double(n), cost: cost)
        }
        let chosen = sentToStrong.filter { $0 }.count
        strongShare = Double(chosen) / Double(n)
        routed = outcome { sentToStrong[$0] }
        alwaysStrong = outcome { _ in true }
        alwaysWeak = outcome { _ in false }
        var generator = SeededGenerator(seed: seed)
        var qualities: [Double] = [], costs: [Double] = []
        for _ in 0..<draws {
            var order = Array(0..<n)
            order.shuffle(using: &generator)
            var strong = [Bool](repeating: false, count: n)
            for i in order.prefix(chosen) { strong[i] = true }
            let drawn = outcome { strong[$0] }
            qualities.append(drawn.quality)
            costs.append(drawn.cost)
        }
        random = Outcome(quality: qualities.reduce(0, +) / Double(draws), cost: costs.reduce(0, +) / Double(draws))
        randomQualityRange = qualities.min()!...qualities.max()!
        self.draws = draws
        let byGain = prompts.indices.sorted { prompts[$0].strongScore - prompts[$0].weakScore > prompts[$1].strongScore - prompts[$1].weakScore }
        let best = Set(byGain.prefix(chosen))
        oracle = outcome { best.contains($0) }
        // Along the random router's line from always-weak (share 0) to always-strong (share 1).
        let (weak, strong) = (alwaysWeak, alwaysStrong)
        let shareAtCost = strong.cost > weak.cost ? min(1, max(0, (routed.cost - weak.cost) / (strong.cost - weak.cost))) : 1
        randomQualityAtRoutedCost = weak.quality + shareAtCost * (strong.quality - weak.quality)
        if strong.quality > weak.quality, routed.quality <= strong.quality {
            let shareAtQuality = max(0, (routed.quality - weak.quality) / (strong.quality - weak.quality))
            randomCostAtRoutedQuality = weak.cost + shareAtQuality * (strong.cost - weak.cost)
        } else {
            randomCostAtRoutedQuality = nil
        }
    }
}
