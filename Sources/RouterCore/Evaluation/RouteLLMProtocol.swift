/// RouteLLM's evaluation protocol for a strong/weak pair, line for line from lm-sys/RouteLLM
/// (routellm/evals/benchmarks.py and evaluate.py): a router gives every prompt a strong-win
/// score; thresholds are the deciles of the evaluated scores (min and max included); a prompt goes
/// strong when its score >= the threshold, except at the top edge where it must be > (so 0% is
/// reached); each threshold gives a point (strong share %, quality %).
///
/// The decile edges are pandas' `qcut` bit for bit as RouteLLM ran it (pandas 2.2 on numpy 2:
/// `np.linspace`'s quantiles through `np.percentile`'s linear method, numpy's interpolation
/// formula included), since a threshold that lands a rounding error above or below a tied score
/// moves a prompt across it (pandas 3 rounds the quantiles up instead, which moves APGR in the
/// fifth decimal). One difference: where pandas' qcut raises on tied decile edges (a router with
/// few distinct scores), the tied edges are kept; a repeated edge repeats its point, which adds
/// no area.
public enum RouteLLMProtocol {
    /// One point of a threshold curve: the share of prompts sent to the strong model and the
    /// quality reached, both in percent.
    public struct Point: Sendable, Equatable, Codable {
        public var strongPercent: Double
        public var qualityPercent: Double

        public init(strongPercent: Double, qualityPercent: Double) {
            (self.strongPercent, self.qualityPercent) = (strongPercent, qualityPercent)
        }
    }

    /// RouteLLM's table for one router.
    public struct Metrics: Sendable, Equatable, Codable {
        /// Average performance gap recovered: the area under PGR over the strong share.
        public var apgr: Double
        /// Strong share (percent) needed to recover 20%, 50%, 80% of the gap (np.interp).
        public var cpt20: Double
        public var cpt50: Double
        public var cpt80: Double
        /// Whether quality never falls as the strong share grows (CPT by interpolation assumes it).
        public var monotone: Bool
    }

    /// The threshold curve of `scores` over `bins` quantile bins (RouteLLM: 10, deciles).
    public static func curve(scores: [Double], weak: [Double], strong: [Double], bins: Int = 10) -> [Point] {
        precondition(scores.count == weak.count && weak.count == strong.count && !scores.isEmpty)
        let edges = qcutEdges(scores.sorted(), bins: bins)
        return edges.enumerated().map { index, threshold in
            let last = index == edges.count - 1
            var strongCount = 0
            var quality = 0.0
            for i in scores.indices {
                let goesStrong = last ? scores[i] > threshold : scores[i] >= threshold
                if goesStrong { strongCount += 1 }
                quality += goesStrong ? strong[i] : weak[i]
            }
            let n = Double(scores.count)
            return Point(strongPercent: Double(strongCount) / n * 100, qualityPercent: quality / n * 100)
        }
    }

    /// The bin edges `pd.qcut(scores, bins, retbins=True)` returns for `sorted` (ascending), as
    /// pandas 2.2 computes them: quantiles `np.linspace(0, 1, bins + 1)`, each times 100 and back
    /// (`np.percentile`), at virtual index (n - 1) q, interpolated as numpy's `_lerp` does (from
    /// the upper neighbour when the fraction is at least one half).
    static func qcutEdges(_ sorted: [Double], bins: Int) -> [Double] {
        let step = 1.0 / Double(bins)
        return (0...bins).map { i in
            let quantile = i == bins ? 1.0 : Double(i) * step
            let virtual = Double(sorted.count - 1) * ((quantile * 100) / 100)
            let low = min(max(Int(virtual.rounded(.down)), 0), sorted.count - 1)
            let high = min(low + 1, sorted.count - 1)
            let gamma = virtual - Double(low)
            let (a, b) = (sorted[low], sorted[high])
            return gamma >= 0.5 ? b - (b - a) * (1 - gamma) : a + (b - a) * gamma
        }
    }

    /// APGR and CPT of `points` (evaluate.py's `generate_results`), with the weak and strong
    /// models' qualities in percent.
    public static func metrics(_ points: [Point], weakPercent: Double, strongPercent: Double) -> Metrics {
        let sorted = points.enumerated().sorted {
            $0.element.strongPercent < $1.element.strongPercent
                || ($0.element.strongPercent == $1.element.strongPercent && $0.offset < $1.offset)
        }.map(\.element)
        let x = sorted.map(\.strongPercent), y = sorted.map(\.qualityPercent)
        func cpt(_ share: Double) -> Double { interp(share * (strongPercent - weakPercent) + weakPercent, xp: y, fp: x) }
        var area = 0.0
        for i in 1..<max(x.count, 1) { area += (x[i] - x[i - 1]) / 100 * (y[i] + y[i - 1]) / 2 }
        let span = ((x.last ?? 0) - (x.first ?? 0)) / 100
        let apgr = (area - weakPercent * span) / (strongPercent * span - weakPercent * span)
        return Metrics(
            apgr: apgr, cpt20: cpt(0.2), cpt50: cpt(0.5), cpt80: cpt(0.8),
            monotone: zip(y, y.dropFirst()).allSatisfy { $1 >= $0 - 1e-12 })
    }

    /// The router's metrics on prompts with these results.
    public static func evaluate(scores: [Double], weak: [Double], strong: [Double]) -> Metrics {
        metrics(curve(scores: scores, weak: weak, strong: strong), weakPercent: mean(weak) * 100, strongPercent: mean(strong) * 100)
    }

    /// RouteLLM's random router: `random.seed(0)` once, then `iterations` passes of
    /// `random.uniform(0, 1)` per prompt (in prompt order) through the threshold curve; points
    /// grouped by their exact strong share and averaged.
    public static func random(weak: [Double], strong: [Double], iterations: Int = 10, seed: UInt64 = 0) -> Metrics {
        var generator = MersenneTwister(pythonSeed: seed)
        var groups: [Double: (sum: Double, count: Int)] = [:]
        for _ in 0..<iterations {
            let scores = weak.indices.map { _ in generator.random() }
            for point in curve(scores: scores, weak: weak, strong: strong) {
                groups[point.strongPercent, default: (0, 0)].sum += point.qualityPercent
                groups[point.strongPercent, default: (0, 0)].count += 1
            }
        }
        let points = groups.keys.sorted().map { Point(strongPercent: $0, qualityPercent: groups[$0]!.sum / Double(groups[$0]!.count)) }
        return metrics(points, weakPercent: mean(weak) * 100, strongPercent: mean(strong) * 100)
    }

    /// The optimal curve RouteLLM plots (benchmarks.py `get_optimal_accuracy`) at 0, 10, ..., 100%:
    /// the weak model's results plus, at strong share p, the best N x p of the gains from calling
    /// the strong model instead (for 0/1 results: min(N x p, #(weak wrong and strong right))).
    public static func optimal(weak: [Double], strong: [Double]) -> Metrics {
        metrics(optimalCurve(weak: weak, strong: strong, shares: (0...10).map { Double($0) / 10 }),
                weakPercent: mean(weak) * 100, strongPercent: mean(strong) * 100)
    }

    /// The optimal quality at each strong share.
    public static func optimalCurve(weak: [Double], strong: [Double], shares: [Double]) -> [Point] {
        let n = Double(weak.count)
        let gains = zip(strong, weak).map { max(0, $0 - $1) }.sorted(by: >)
        let base = weak.reduce(0, +)
        return shares.map { share in
            let calls = n * share
            let whole = min(Int(calls.rounded(.down)), gains.count)
            var gained = gains[..<whole].reduce(0, +)
            if whole < gains.count { gained += (calls - Double(whole)) * gains[whole] }
            return Point(strongPercent: share * 100, qualityPercent: (base + gained) / n * 100)
        }
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }

    /// numpy's `interp(x, xp, fp)` for one value, as numpy computes it (including its guessed
    /// binary search, so a curve that is not monotone gives numpy's answer too).
    public static func interp(_ x: Double, xp: [Double], fp: [Double]) -> Double {
        let n = xp.count
        guard n > 1 else { return fp.first ?? .nan }
        let j = binarySearchWithGuess(x, xp, guess: 0)
        if j == -1 { return fp[0] }
        if j == n { return fp[n - 1] }
        if j == n - 1 { return fp[j] }
        if xp[j] == x { return fp[j] }
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        var result = slope * (x - xp[j]) + fp[j]
        if result.isNaN {
            result = slope * (x - xp[j + 1]) + fp[j + 1]
            if result.isNaN && fp[j] == fp[j + 1] { result = fp[j] }
        }
        return result
    }

    /// numpy's `binary_search_with_guess` (compiled_base.c).
    static func binarySearchWithGuess(_ key: Double, _ arr: [Double], guess: Int) -> Int {
        let len = arr.count, likelyInCache = 8
        if key > arr[len - 1] { return len }
        if key < arr[0] { return -1 }
        if len <= 4 {
            var i = 1
            while i < len && key >= arr[i] { i += 1 }
            return i - 1
        }
        var guess = min(guess, len - 3)
        guess = max(guess, 1)
        var imin = 0, imax = len
        if key < arr[guess] {
            if key < arr[guess - 1] {
                imax = guess - 1
                if guess > likelyInCache && key >= arr[guess - likelyInCache] { imin = guess - likelyInCache }
            } else {
                return guess - 1
            }
        } else {
            if key < arr[guess + 1] { return guess }
            if key < arr[guess + 2] { return guess + 1 }
            imin = guess + 2
            if guess < len - likelyInCache - 1 && key < arr[guess + likelyInCache] { imax = guess + likelyInCache }
        }
        while imin < imax {
            let mid = imin + ((imax - imin) >> 1)
            if key >= arr[mid] { imin = mid + 1 } else { imax = mid }
        }
        return imin - 1
    }
}
