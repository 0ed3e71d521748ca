/// Replays a labelled set as a stream of traffic to compare routers that learn from feedback with
/// the frozen offline router (issue 26's reference simulation, in process): the first
/// `labelledShare` of each seed's shuffled prompts is labelled data (what the offline router and
/// the warm start train on), the rest is the stream, `passes` times reshuffled; a policy picks a
/// model per prompt, and only the chosen model's recorded score comes back as feedback.
///
/// Utility is Avengers-Pro's, u = alpha x score + (1 - alpha) x (1 - (cost - lo) / (hi - lo)), lo
/// and hi the cheapest and dearest model's mean cost per prompt over the pool. Scenarios: none,
/// `drift` (two models swap scores half-way through the stream, their prices unchanged),
/// `newModel` (a model absent from the labelled data, which joins the learners at the prior).
public struct LearningSimulation: Sendable {
    public enum Scenario: Sendable, Equatable {
        case stationary
        case drift(Int, Int)
        case newModel(Int)
    }

    public enum Policy: String, Sendable, CaseIterable {
        /// The cluster router trained on the labelled data, frozen.
        case offline
        /// The cluster learner warm-started from it, Thompson sampling.
        case warmLearner = "warm learner"
        /// The cluster learner on the same clusters with no scores (prompts only), Thompson sampling.
        case coldLearner = "cold learner"
        /// One global Beta bandit per model (no clusters), Thompson sampling.
        case globalBandit = "global bandit"
        /// The best model per prompt with every score known.
        case oracle
    }

    /// One policy's stream.
    public struct Run: Sendable {
        public var utilities: [Double] = []
        public var scores: [Double] = []
        public var costs: [Double] = []
        public var chosen: [Int] = []

        public var meanUtility: Double { utilities.reduce(0, +) / Double(max(utilities.count, 1)) }
        public var lastThirdUtility: Double {
            let tail = utilities.suffix(max(1, utilities.count / 3))
            return tail.reduce(0, +) / Double(tail.count)
        }
    }

    public let data: TrainingData
    public var alpha: Double
    public var labelledShare: Double
    public var passes: Int
    public var learner: ClusterLearner.Settings
    public var trainer: ClusterRouterTrainer
    /// The most of a learner's decisions that may follow a Thompson draw away from the best
    /// posterior mean (1: pure Thompson sampling).
    public var explorationShare = 1.0

    public init(data: TrainingData, alpha: Double, labelledShare: Double = 0.3, passes: Int = 1,
                learner: ClusterLearner.Settings = .init(), trainer: ClusterRouterTrainer = .init()) {
        (self.data, self.alpha, self.labelledShare, self.passes, self.learner, self.trainer) = (data, alpha, labelledShare, passes, learner, trainer)
    }

    /// Every policy's stream for one seed.
    public func run(_ scenario: Scenario, seed: UInt64) -> [Policy: Run] {
        let set = data.set
        let m = set.models.count
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<set.count)
        order.shuffle(using: &generator)
        let labelledCount = Int((Double(set.count) * labelledShare).rounded())
        let labelled = Array(order.prefix(labelledCount)), rest = Array(order.dropFirst(labelledCount))
        var stream: [Int] = []
        for _ in 0..<passes { stream += rest.shuffled(using: &generator) }
        let hidden: Int? = if case .newModel(let j) = scenario { j } else { nil }

        // Scores and costs as the stream sees them: the drifting pair's scores swapped after
        // half-way (their prices stay what they were).
        func truth(_ step: Int, _ i: Int, _ j: Int) -> (score: Double, cost: Double) {
            var scored = j
            if case .drift(let a, let b) = scenario, step >= stream.count / 2 { scored = j == a ? b : j == b ? a : j }
            return (set.scores[i][scored], set.costs[i][j])
        }
        let meanCosts = set.meanCosts
        let (lo, hi) = (meanCosts.min()!, meanCosts.max()!)
        func utility(_ score: Double, _ cost: Double) -> Double {
            ClusterLearner.utility(quality: score, cost: cost, alpha: alpha, cheapest: lo, dearest: hi)
        }

        // The offline router on the labelled prompts, without the hidden model.
        let known = (0..<m).filter { $0 != hidden }
        let labelledData = data.subset(labelled)
        let offlineSet = labelledData.set.selecting(models: known)
        let offline = trainer.train(TrainingData(set: offlineSet, embeddings: labelledData.embeddings))
        var coldModel = offline.model
        coldModel.observations = coldModel.performance.map { _ in 0 }
        var learners: [Policy: ClusterLearner] = [
            .warmLearner: ClusterLearner(offline: offline.model, settings: learner),
            .coldLearner: ClusterLearner(offline: coldModel, settings: learner),
            .globalBandit: ClusterLearner(models: offline.model.models, clusterCount: 1, settings: learner),
        ]
        if let hidden { for policy in learners.keys { learners[policy]!.add(model: set.models[hidden]) } }
        // Learner index -> set column.
        let columns = known + (hidden.map { [$0] } ?? [])
        let global = [ClusterRouter.ClusterWeight(cluster: 0, distance: 0, weight: 1)]

        var runs: [Policy: Run] = [:]
        var explored: [Policy: Int] = [:]
        for (step, i) in stream.enumerated() {
            let clusters = (try? offline.nearestClusters(data.embeddings.row(i))) ?? global
            let estimates = offline.estimates(clusters)
            func record(_ policy: Policy, _ column: Int) {
                let (score, cost) = truth(step, i, column)
                runs[policy, default: Run()].utilities.append(utility(score, cost))
                runs[policy, default: Run()].scores.append(score)
                runs[policy, default: Run()].costs.append(cost)
                runs[policy, default: Run()].chosen.append(column)
            }
            let offlinePick = known.indices.max { a, b in
                utility(estimates.quality[a], estimates.cost[a]) < utility(estimates.quality[b], estimates.cost[b])
            }!
            record(.offline, known[offlinePick])
            record(.oracle, (0..<m).max { utility(truth(step, i, $0).score, truth(step, i, $0).cost)
                < utility(truth(step, i, $1).score, truth(step, i, $1).cost) }!)
            for policy in [Policy.warmLearner, .coldLearner, .globalBandit] {
                let hits = policy == .globalBandit ? global : clusters
                let posterior = learners[policy]!.estimates(hits)
                let draws = ClusterLearner.sample(posterior, using: &generator)
                // Cost: the clusters' mean cost where the labelled data knows the model (prices
                // times the tokens recorded there), else its mean per prompt over the pool; a
                // prompt's own cost is known only once answered.
                func cost(_ l: Int) -> Double { l < known.count ? estimates.cost[l] : meanCosts[columns[l]] }
                let sampled = draws.indices.max { utility(draws[$0], cost($0)) < utility(draws[$1], cost($1)) }!
                // Thompson's pick where it agrees with the posterior means' best, or while this
                // policy's explorations stay within `explorationShare` of its decisions.
                let means = posterior.map(\.mean)
                let greedy = means.indices.max { utility(means[$0], cost($0)) < utility(means[$1], cost($1)) }!
                var pick = greedy
                if sampled != greedy, Double(explored[policy, default: 0] + 1) <= explorationShare * Double(step + 1) {
                    pick = sampled
                    explored[policy, default: 0] += 1
                }
                record(policy, columns[pick])
                learners[policy]!.observe(hits, model: pick, score: truth(step, i, columns[pick]).score)
            }
        }
        return runs
    }
}

extension CompleteSet {
    /// The set with only the models at `models`, in that order.
    func selecting(models columns: [Int]) -> CompleteSet {
        CompleteSet(
            models: columns.map { models[$0] }, records: records, scores: scores.map { row in columns.map { row[$0] } },
            costs: costs.map { row in columns.map { row[$0] } }, scoreScale: scoreScale, notes: notes,
            observed: observed.map { rows in rows.map { row in columns.map { row[$0] } } })
    }
}
