/// What a routing decision optimises.
public enum Objective: Sendable, Equatable {
    /// alpha in [0, 1]: alpha * quality~ + (1 - alpha) * (1 - cost~), the Avengers-Pro knob
    /// (0 = cheapest, 1 = best quality).
    case tradeoff(alpha: Double)
    /// The best predicted quality whose predicted cost is at most this many dollars (Routoo's
    /// cost constraint).
    case budget(maxCostUSD: Double)
    /// The best predicted quality - lambda * predicted dollars (Routoo's Lagrangian form).
    case penalty(lambda: Double)
    /// RouteLLM: the strong model when the strong-win score is at least this threshold.
    case threshold(Double)
    /// RouteLLM: the threshold that sends this share of the calibration prompts to the strong model.
    case strongShare(Double)

    /// Throws `RoutingError.invalid` for a knob outside its range.
    public func validate() throws {
        switch self {
        case .tradeoff(let alpha):
            guard alpha.isFinite, (0...1).contains(alpha) else { throw RoutingError.invalid("alpha \(alpha) is outside [0, 1]") }
        case .budget(let maxCost):
            guard maxCost.isFinite, maxCost >= 0 else { throw RoutingError.invalid("max cost \(maxCost) must be a finite number >= 0") }
        case .penalty(let lambda):
            guard lambda.isFinite, lambda >= 0 else { throw RoutingError.invalid("lambda \(lambda) must be a finite number >= 0") }
        case .threshold(let threshold):
            guard threshold.isFinite else { throw RoutingError.invalid("threshold \(threshold) is not finite") }
        case .strongShare(let share):
            guard share.isFinite, share > 0, share < 1 else { throw RoutingError.invalid("strong share \(share) is outside (0, 1)") }
        }
    }
}

/// Limits on the models a decision may pick.
public struct RoutingConstraints: Sendable, Equatable {
    /// Model indices that may be chosen; nil = all.
    public var allowed: [Int]?
    /// The most milliseconds a model may take, with each model's typical latency.
    public var maxLatencyMs: Double?
    public var latencyMs: [Double?]

    public init(allowed: [Int]? = nil, maxLatencyMs: Double? = nil, latencyMs: [Double?] = []) {
        self.allowed = allowed
        self.maxLatencyMs = maxLatencyMs
        self.latencyMs = latencyMs
    }
}

/// The model to call, and every candidate's standing.
public struct Decision: Sendable, Equatable {
    /// Index of the chosen model.
    public var model: Int
    /// The models worth calling, best first (the chosen one leads): every allowed model, except
    /// that under a budget only those predicted to fit it. A caller falls back down this list.
    public var ranking: [Int]
    /// Per model, what the decision ranked by (trade-off score, predicted quality, quality - lambda
    /// x cost, or the strong-win score); nil for models not allowed.
    public var scores: [Double?]
    public var estimate: RouterEstimate
    /// The strong-win threshold used, for threshold and strong-share decisions.
    public var threshold: Double?
}

/// Turns a router's estimate into a decision for an objective; the same rules for every router.
public struct Decider: Sendable, Equatable {
    public let models: [String]
    /// The pair RouteLLM's threshold routes between: the best model on the training data, and
    /// the cheapest other.
    public let pair: ModelPair
    private var strong: Int { pair.strong }
    private var weak: Int { pair.weak }

    public init(models: [String], pair: ModelPair) {
        self.models = models
        self.pair = pair
    }

    /// The decider of `router`'s models and pair.
    public init(_ router: any Router) { self.init(models: router.models, pair: router.pair) }

    /// The decision for `estimate` under `objective` within `constraints`; `calibration` turns a
    /// strong share into a threshold.
    public func decide(
        _ estimate: RouterEstimate, objective: Objective, constraints: RoutingConstraints = .init(),
        calibration: Calibration? = nil
    ) throws -> Decision {
        try objective.validate()
        let candidates = try self.candidates(constraints)
        let e = estimate.estimates
        var scores = [Double?](repeating: nil, count: models.count)
        switch objective {
        case .tradeoff(let alpha):
            for m in candidates { scores[m] = e.score(m, alpha: alpha) }
        case .penalty(let lambda):
            for m in candidates { scores[m] = e.quality[m] - lambda * e.cost[m] }
        case .budget(let maxCost):
            let affordable = candidates.filter { e.cost[$0] <= maxCost }
            guard !affordable.isEmpty else {
                let cheapest = candidates.min { e.cost[$0] < e.cost[$1] }!
                throw RoutingError.unaffordable(
                    "no model is predicted to fit max cost $\(Self.dollars(maxCost)): the cheapest allowed, \(models[cheapest]), "
                        + "is predicted at $\(Self.dollars(e.cost[cheapest]))")
            }
            for m in affordable { scores[m] = e.quality[m] }
        case .threshold(let threshold):
            return try thresholdDecision(estimate, threshold: threshold, candidates: candidates)
        case .strongShare(let share):
            guard let calibration else {
                throw RoutingError.invalid("this router has no calibration; run `switchyard calibrate` or give a threshold")
            }
            return try thresholdDecision(estimate, threshold: try calibration.threshold(forStrongShare: share), candidates: candidates)
        }
        // Best first; ties go to the cheaper model, then to the lower index. Insertion into one
        // array: a handful of models, and the decision is on every request's path.
        var ranking: [Int] = []
        ranking.reserveCapacity(models.count)
        for m in scores.indices {
            guard let score = scores[m] else { continue }
            var i = ranking.count
            while i > 0, let other = scores[ranking[i - 1]], score > other || (score == other && e.cost[m] < e.cost[ranking[i - 1]]) {
                i -= 1
            }
            ranking.insert(m, at: i)
        }
        return Decision(model: ranking[0], ranking: ranking, scores: scores, estimate: estimate, threshold: nil)
    }

    /// RouteLLM's rule: the strong model when the strong-win score is at least `threshold`.
    private func thresholdDecision(_ estimate: RouterEstimate, threshold: Double, candidates: [Int]) throws -> Decision {
        guard candidates.contains(strong), candidates.contains(weak), strong != weak else {
            throw RoutingError.invalid("a threshold routes between \(models[strong]) and \(models[weak]); both must be allowed")
        }
        let ranking = estimate.strongWinScore >= threshold ? [strong, weak] : [weak, strong]
        var scores = [Double?](repeating: nil, count: models.count)
        scores[strong] = estimate.strongWinScore
        scores[weak] = estimate.strongWinScore
        return Decision(model: ranking[0], ranking: ranking, scores: scores, estimate: estimate, threshold: threshold)
    }

    /// The allowed models that meet the latency cap; throws when none is left.
    private func candidates(_ constraints: RoutingConstraints) throws -> [Int] {
        var candidates = constraints.allowed ?? Array(models.indices)
        guard !candidates.isEmpty else { throw RoutingError.invalid("no allowed models") }
        guard candidates.allSatisfy(models.indices.contains) else { throw RoutingError.invalid("allowed model index out of range") }
        if let cap = constraints.maxLatencyMs {
            guard cap.isFinite, cap > 0 else { throw RoutingError.invalid("max latency \(cap) ms must be > 0") }
            let latency = { (m: Int) in m < constraints.latencyMs.count ? constraints.latencyMs[m] : nil }
            let fast = candidates.filter { (latency($0) ?? 0) <= cap }
            guard !fast.isEmpty else {
                let fastest = candidates.min { (latency($0) ?? 0) < (latency($1) ?? 0) }!
                throw RoutingError.unaffordable(
                    "no allowed model meets max latency \(cap) ms: the fastest, \(models[fastest]), takes \(latency(fastest) ?? 0) ms")
            }
            candidates = fast
        }
        return candidates
    }

    private static func dollars(_ value: Double) -> String {
        value >= 0.01 ? String(format: "%.4f", value) : String(format: "%.6f", value)
    }
}

/// Why a router could not be built or could not decide.
public enum RoutingError: Error, Equatable, CustomStringConvertible {
    /// The request is malformed (wrong dimension, a knob out of range, unknown model).
    case invalid(String)
    /// The request is well formed but no model meets its budget or latency cap.
    case unaffordable(String)
    /// The request names a router the bundle does not have.
    case notFound(String)
    /// The router model is inconsistent; every problem found.
    case badModel([String])

    public var description: String {
        switch self {
        case .invalid(let reason), .unaffordable(let reason), .notFound(let reason): reason
        case .badModel(let problems): "bad router model: " + problems.joined(separator: "; ")
        }
    }
}
