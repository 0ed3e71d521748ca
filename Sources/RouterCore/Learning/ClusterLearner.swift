import Foundation

/// What a cluster router learns online from the outcomes of the traffic it serves (issue 26's
/// learner, its statistical core): per (cluster, model) a quality estimate from the scores that
/// came back (applications' feedback, judges' grades), shrunk toward the model's own global
/// estimate while the cell holds little data (empirical-Bayes back-off: a cell's mean is
/// (sum + backoff x global mean) / (weight + backoff)), warm-started from the offline router's
/// statistics when there are any, and forgetting with a half-life counted in observations, so a
/// model that changes is followed and no cell is ever capped.
///
/// Observations are soft-assigned to the prompt's nearest clusters with the router's own
/// weights. Thompson sampling draws each model's quality from a Beta around its estimate whose
/// strength is the evidence behind it: little evidence (a new model, a drifted cell) means wide
/// draws, so such models get tried.
public struct ClusterLearner: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Observations after which an observation counts half (forgetting).
        public var halfLife: Double = 2000
        /// Pseudo-observations of the model's global estimate in every cell (back-off).
        public var backoff: Double = 10
        /// The quality a model nobody has observed is assumed to have, and how many
        /// pseudo-observations that assumption weighs.
        public var prior: Double = 0.5
        public var priorStrength: Double = 2
        /// The most pseudo-observations a cell's offline statistics count for at the start.
        public var warmStartCap: Double = 20
        /// Change detection: when a model's recent scores (a running mean over about
        /// `changeWindow` of its observations) miss what the learner predicted for them by more
        /// than this, the model changed: every estimate keeps only `changeKeep` of its evidence,
        /// so the changed model is relearnt and the others are explored again (a model that got
        /// better is found only by trying it). 0: off.
        public var changeThreshold: Double = 0.15
        public var changeWindow: Double = 100
        public var changeKeep: Double = 0.1
        /// A score counts as a surprise only against an estimate with this much evidence behind
        /// it: while a model is still being learnt (a cold start, or just after a change), missing
        /// the estimate is learning, not change.
        public var changeMinimumEvidence: Double = 30

        public init() {}
    }

    /// Discounted sufficient statistics: total weight and weighted sum of scores, as of `tick`.
    struct Stats: Sendable, Equatable {
        var weight = 0.0
        var sum = 0.0
        var tick = 0.0

        /// The statistics decayed to `now`.
        func decayed(to now: Double, halfLife: Double) -> Stats {
            guard now > tick else { return self }
            let factor = pow(0.5, (now - tick) / halfLife)
            return Stats(weight: weight * factor, sum: sum * factor, tick: now)
        }
    }

    public let settings: Settings
    public private(set) var models: [String]
    public let clusterCount: Int
    /// clusterCount x models, row-major.
    private var cells: [Stats]
    private var global: [Stats]
    /// Observations so far (the clock of forgetting).
    public private(set) var tick = 0.0
    /// Per model: a running mean of (score - predicted) over its recent observations, and its weight.
    private var surprise: [Stats]
    /// Changes detected so far, and the model each was noticed on, in order.
    public private(set) var changes = 0
    public private(set) var changedModels: [String] = []

    /// A learner that knows nothing yet: every model at the prior (a router from prompts alone).
    public init(models: [String], clusterCount: Int, settings: Settings = Settings()) {
        precondition(clusterCount > 0 && !models.isEmpty)
        self.settings = settings
        self.models = models
        self.clusterCount = clusterCount
        cells = Array(repeating: Stats(), count: clusterCount * models.count)
        global = Array(repeating: Stats(), count: models.count)
        surprise = Array(repeating: Stats(), count: models.count)
    }

    /// Warm-started from an offline cluster router: each cell counts the scored prompts behind it
    /// (`observations`, else the cluster's training prompts; at most `warmStartCap`) at the
    /// router's mean score there. A router fitted on prompts alone has none: every cell starts at
    /// the prior.
    public init(offline model: ClusterRouterModel, settings: Settings = Settings()) {
        self.init(models: model.models, clusterCount: model.clusterCount, settings: settings)
        let m = models.count
        for c in 0..<clusterCount {
            for j in 0..<m {
                let weight = min(model.observations?[c * m + j] ?? Double(model.clusterSizes[c]), settings.warmStartCap)
                cells[c * m + j] = Stats(weight: weight, sum: weight * model.performance[c * m + j])
                global[j].weight += weight
                global[j].sum += weight * model.performance[c * m + j]
            }
        }
    }

    /// The model's global quality estimate and the evidence behind it (pseudo-observations).
    public func globalEstimate(_ model: Int) -> (mean: Double, strength: Double) {
        let stats = global[model].decayed(to: tick, halfLife: settings.halfLife)
        let strength = stats.weight + settings.priorStrength
        return ((stats.sum + settings.priorStrength * settings.prior) / strength, strength)
    }

    /// A cell's quality estimate, backed off toward the model's global one, and its evidence.
    public func estimate(cluster: Int, model: Int) -> (mean: Double, strength: Double) {
        let stats = cells[cluster * models.count + model].decayed(to: tick, halfLife: settings.halfLife)
        let (globalMean, globalStrength) = globalEstimate(model)
        let backoff = min(settings.backoff, globalStrength)
        return ((stats.sum + backoff * globalMean) / (stats.weight + backoff), stats.weight + backoff)
    }

    /// The (decayed) weight of the scores a cell has seen, its warm start included.
    public func observations(cluster: Int, model: Int) -> Double {
        cells[cluster * models.count + model].decayed(to: tick, halfLife: settings.halfLife).weight
    }

    /// Each model's quality for a prompt whose nearest clusters are `clusters` (weights summing
    /// to 1): the clusters' estimates blended by weight, with the evidence blended the same way.
    public func estimates(_ clusters: [ClusterRouter.ClusterWeight]) -> [(mean: Double, strength: Double)] {
        models.indices.map { j in
            var mean = 0.0, strength = 0.0
            for hit in clusters {
                let cell = estimate(cluster: hit.cluster, model: j)
                mean += hit.weight * cell.mean
                strength += hit.weight * cell.strength
            }
            return (mean, strength)
        }
    }

    /// One Thompson draw of every model's quality for the prompt: Beta(mean x strength,
    /// (1 - mean) x strength) around each estimate.
    public func sample(_ clusters: [ClusterRouter.ClusterWeight], using generator: inout some RandomNumberGenerator) -> [Double] {
        Self.sample(estimates(clusters), using: &generator)
    }

    /// One Thompson draw from estimates already computed (`estimates(_:)`).
    public static func sample(_ estimates: [(mean: Double, strength: Double)], using generator: inout some RandomNumberGenerator) -> [Double] {
        estimates.map { estimate in
            let mean = min(max(estimate.mean, 1e-3), 1 - 1e-3)
            return BetaSampler.sample(alpha: mean * estimate.strength, beta: (1 - mean) * estimate.strength, using: &generator)
        }
    }

    /// Learns that `model` scored `score` (0...1) on a prompt near `clusters`.
    public mutating func observe(_ clusters: [ClusterRouter.ClusterWeight], model: Int, score: Double) {
        precondition(models.indices.contains(model))
        let score = min(max(score, 0), 1)
        if settings.changeThreshold > 0 {
            let predicted = estimates(clusters)[model]
            if predicted.strength >= settings.changeMinimumEvidence { watchForChange(model: model, surprise: score - predicted.mean) }
        }
        tick += 1
        let m = models.count
        for hit in clusters where hit.weight > 0 {
            var cell = cells[hit.cluster * m + model].decayed(to: tick, halfLife: settings.halfLife)
            cell.weight += hit.weight
            cell.sum += hit.weight * score
            cells[hit.cluster * m + model] = cell
        }
        var all = global[model].decayed(to: tick, halfLife: settings.halfLife)
        all.weight += 1
        all.sum += score
        global[model] = all
    }

    /// Keeps the model's running surprise; past the threshold (with a window's worth of
    /// observations behind it), a change: all evidence shrinks to `changeKeep`.
    private mutating func watchForChange(model: Int, surprise value: Double) {
        var recent = surprise[model]
        let keep = 1 - 1 / settings.changeWindow
        recent.weight = recent.weight * keep + 1
        recent.sum = recent.sum * keep + value
        surprise[model] = recent
        guard recent.weight >= settings.changeWindow / 2, abs(recent.sum / recent.weight) > settings.changeThreshold else { return }
        changes += 1
        changedModels.append(models[model])
        let shrink = settings.changeKeep
        for i in cells.indices { cells[i] = Stats(weight: cells[i].weight * shrink, sum: cells[i].sum * shrink, tick: cells[i].tick) }
        for j in global.indices { global[j] = Stats(weight: global[j].weight * shrink, sum: global[j].sum * shrink, tick: global[j].tick) }
        surprise = Array(repeating: Stats(), count: models.count)
    }

    /// A model the router file did not know joins at the prior (and so gets explored).
    public mutating func add(model name: String) {
        guard !models.contains(name) else { return }
        let m = models.count
        var grown: [Stats] = []
        grown.reserveCapacity(clusterCount * (m + 1))
        for c in 0..<clusterCount { grown += cells[c * m..<(c + 1) * m] + [Stats(tick: tick)] }
        cells = grown
        global.append(Stats(tick: tick))
        surprise.append(Stats())
        models.append(name)
    }

    /// A model that is gone leaves every estimate at once.
    public mutating func remove(model name: String) {
        guard let j = models.firstIndex(of: name), models.count > 1 else { return }
        let m = models.count
        cells = (0..<clusterCount).flatMap { c in (0..<m).filter { $0 != j }.map { cells[c * m + $0] } }
        global.remove(at: j)
        surprise.remove(at: j)
        models.remove(at: j)
    }

    /// Avengers-Pro's utility as the learner optimizes it: alpha x quality + (1 - alpha) x
    /// (1 - (cost - lo) / (hi - lo)), with lo and hi the cheapest and the dearest model's mean
    /// cost per prompt over the pool as observed (a pool of one price: cost counts nothing).
    public static func utility(quality: Double, cost: Double, alpha: Double, cheapest lo: Double, dearest hi: Double) -> Double {
        let normalized = hi > lo ? min(max((cost - lo) / (hi - lo), 0), 1) : 0
        return alpha * quality + (1 - alpha) * (1 - normalized)
    }
}

/// Beta draws from two Gamma draws (Marsaglia and Tsang's method; shape < 1 boosted by U^(1/a)).
public enum BetaSampler {
    public static func sample(alpha: Double, beta: Double, using generator: inout some RandomNumberGenerator) -> Double {
        let x = gamma(shape: alpha, using: &generator), y = gamma(shape: beta, using: &generator)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    static func gamma(shape: Double, using generator: inout some RandomNumberGenerator) -> Double {
        guard shape > 0 else { return 0 }
        if shape < 1 {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            return gamma(shape: shape + 1, using: &generator) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal(using: &generator)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A standard normal draw (Box-Muller).
    static func normal(using generator: inout some RandomNumberGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
