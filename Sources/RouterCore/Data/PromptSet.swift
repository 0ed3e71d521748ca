/// Prompts with every model's recorded score and cost: what routers train and are judged on.
///
/// Scores are normalised to [0, 1] with each record's scale; `scoreScale` keeps the scale of the
/// whole set (when all records share one) so reports can show the benchmark's own units.
public struct PromptSet: Sendable {
    /// One prompt and how each model did on it.
    public struct Record: Sendable, Equatable {
        public var id: String
        public var prompt: String
        /// The benchmark the prompt comes from ("mmlu", "gsm8k", ...), if known.
        public var dataset: String?
        /// A finer tag (an MMLU subject, an AlpacaEval source), if known.
        public var domain: String?
        /// Per model (in `models` order): the normalised score, nil when not recorded.
        public var scores: [Double?]
        /// Per model: the cost in dollars, nil when not recorded.
        public var costs: [Double?]
        /// The prompt's embedding when the data carries it instead of (or beside) the text:
        /// traffic records keep the vector the router routed on.
        public var embedding: [Float]?

        public init(
            id: String, prompt: String, dataset: String? = nil, domain: String? = nil, scores: [Double?], costs: [Double?],
            embedding: [Float]? = nil
        ) {
            self.id = id
            self.prompt = prompt
            self.dataset = dataset
            self.domain = domain
            self.scores = scores
            self.costs = costs
            self.embedding = embedding
        }
    }

    /// Model names, in the order of every record's `scores` and `costs`.
    public var models: [String]
    public var records: [Record]
    /// The score range shared by every record, when there is one (e.g. 1...10 for MT-Bench).
    public var scoreScale: ClosedRange<Double>?
    /// Notes on how costs were obtained, e.g. token counts estimated from characters.
    public var notes: [String]

    public init(models: [String], records: [Record], scoreScale: ClosedRange<Double>? = 0...1, notes: [String] = []) {
        precondition(records.allSatisfy { $0.scores.count == models.count && $0.costs.count == models.count })
        self.models = models
        self.records = records
        self.scoreScale = scoreScale
        self.notes = notes
    }

    /// Both sets' records over the union of their models (missing models are nil).
    public func merged(with other: PromptSet) -> PromptSet {
        let all = models + other.models.filter { !models.contains($0) }
        func widen(_ set: PromptSet) -> [Record] {
            let position = all.map { set.models.firstIndex(of: $0) }
            return set.records.map { record in
                var record = record
                record.scores = position.map { $0.flatMap { record.scores[$0] } }
                record.costs = position.map { $0.flatMap { record.costs[$0] } }
                return record
            }
        }
        let scale = scoreScale == other.scoreScale ? scoreScale : nil
        return PromptSet(models: all, records: widen(self) + widen(other), scoreScale: scale, notes: notes + other.notes.filter { !notes.contains($0) })
    }
}

/// A prompt set with every score and cost present: the shape evaluation and training need.
///
/// Built by `PromptSet.complete(minimumCoverage:)`, which says what it left out.
public struct CompleteSet: Sendable {
    public let models: [String]
    public let records: [PromptSet.Record]
    /// scores[i][m]: prompt i, model m, in [0, 1].
    public let scores: [[Double]]
    /// costs[i][m] in dollars.
    public let costs: [[Double]]
    public let scoreScale: ClosedRange<Double>?
    public let notes: [String]
    /// Which entries were recorded, when not all were (`PromptSet.observed`: traffic, where a
    /// prompt is scored by the model that answered it); nil when every entry was. The others
    /// hold their model's mean over the recorded ones, so column means are those of the
    /// recorded entries.
    public let observed: [[Bool]]?
    /// Mean score of each model over the set.
    public let meanScores: [Double]
    /// Mean cost of each model over the set.
    public let meanCosts: [Double]

    public var count: Int { records.count }

    public init(models: [String], records: [PromptSet.Record], scores: [[Double]], costs: [[Double]],
                scoreScale: ClosedRange<Double>?, notes: [String], observed: [[Bool]]? = nil) {
        precondition(records.count == scores.count && scores.count == costs.count && (observed?.count ?? scores.count) == scores.count)
        self.models = models
        self.records = records
        self.scores = scores
        self.costs = costs
        self.scoreScale = scoreScale
        self.notes = notes
        self.observed = observed
        meanScores = Self.columnMeans(scores, count: models.count)
        meanCosts = Self.columnMeans(costs, count: models.count)
    }

    /// The rows at `indices`.
    public func subset(_ indices: [Int]) -> CompleteSet {
        CompleteSet(models: models, records: indices.map { records[$0] }, scores: indices.map { scores[$0] },
                    costs: indices.map { costs[$0] }, scoreScale: scoreScale, notes: notes, observed: observed.map { o in indices.map { o[$0] } })
    }

    /// Whether entry (prompt `i`, model `m`) was recorded.
    public func isObserved(_ i: Int, _ m: Int) -> Bool { observed?[i][m] ?? true }

    private static func columnMeans(_ rows: [[Double]], count: Int) -> [Double] {
        guard !rows.isEmpty else { return Array(repeating: 0, count: count) }
        var sums = Array(repeating: 0.0, count: count)
        for row in rows { for m in row.indices { sums[m] += row[m] } }
        return sums.map { $0 / Double(rows.count) }
    }
}

extension PromptSet {
    /// What `complete` left out and why.
    public struct CompletionReport: Sendable, Equatable {
        /// Models dropped because too few prompts record them: the share of prompts with their
        /// score, and with their cost (a cost needs token counts and a price, or a recorded cost).
        public var droppedModels: [(model: String, scored: Double, costed: Double)]
        /// Prompts dropped because a kept model has no score or cost for them.
        public var droppedPrompts: Int

        public static func == (a: Self, b: Self) -> Bool {
            a.droppedPrompts == b.droppedPrompts && a.droppedModels.map(\.model) == b.droppedModels.map(\.model)
        }

        /// One line per finding; empty when nothing was left out.
        public var lines: [String] {
            droppedModels.map { dropped in
                let scored = Int((dropped.scored * 100).rounded()), costed = Int((dropped.costed * 100).rounded())
                return costed < scored
                    ? "left out model \(dropped.model): scored on \(scored)% of prompts but costed on \(costed)% "
                        + "(its token counts need a price in the price table, --prices, or the lines a cost_usd)"
                    : "left out model \(dropped.model): scored on only \(scored)% of prompts"
            }
                + (droppedPrompts > 0 ? ["left out \(droppedPrompts) prompts missing a score or cost for a kept model"] : [])
        }
    }

    /// Drops models recorded on fewer than `minimumCoverage` of the prompts, then prompts missing
    /// any kept model, and returns the dense set with a report of what went.
    public func complete(minimumCoverage: Double = 0.9) -> (CompleteSet, CompletionReport) {
        let n = Double(max(records.count, 1))
        var kept: [Int] = []
        var report = CompletionReport(droppedModels: [], droppedPrompts: 0)
        for m in models.indices {
            let coverage = Double(records.count { $0.scores[m] != nil && $0.costs[m] != nil }) / n
            let scored = Double(records.count { $0.scores[m] != nil }) / n, costed = Double(records.count { $0.costs[m] != nil }) / n
            if coverage >= minimumCoverage { kept.append(m) } else { report.droppedModels.append((models[m], scored, costed)) }
        }
        var rows: [PromptSet.Record] = []
        var scores: [[Double]] = []
        var costs: [[Double]] = []
        for record in records {
            let s = kept.compactMap { record.scores[$0] }
            let c = kept.compactMap { record.costs[$0] }
            guard s.count == kept.count, c.count == kept.count else {
                report.droppedPrompts += 1
                continue
            }
            rows.append(record)
            scores.append(s)
            costs.append(c)
        }
        let set = CompleteSet(models: kept.map { models[$0] }, records: rows, scores: scores, costs: costs,
                              scoreScale: scoreScale, notes: notes)
        return (set, report)
    }

    /// Keeps what was recorded where not every model scored every prompt (traffic: the model
    /// that answered, rated by feedback): models with at least `minimumObservations` scored and
    /// costed prompts, and prompts with at least one of them. Unrecorded entries take their
    /// model's mean and are marked in `observed`; only the cluster router trains on such a set.
    public func observed(minimumObservations: Int = 5) -> (CompleteSet, CompletionReport) {
        var report = CompletionReport(droppedModels: [], droppedPrompts: 0)
        var kept: [Int] = []
        var means: [(score: Double, cost: Double)] = []
        for m in models.indices {
            let seen = records.filter { $0.scores[m] != nil && $0.costs[m] != nil }
            guard seen.count >= minimumObservations else {
                let n = Double(max(records.count, 1))
                report.droppedModels.append((models[m], Double(records.count { $0.scores[m] != nil }) / n, Double(records.count { $0.costs[m] != nil }) / n))
                continue
            }
            kept.append(m)
            let n = Double(seen.count)
            means.append((seen.reduce(0) { $0 + $1.scores[m]! } / n, seen.reduce(0) { $0 + $1.costs[m]! } / n))
        }
        var rows: [PromptSet.Record] = [], scores: [[Double]] = [], costs: [[Double]] = [], observed: [[Bool]] = []
        for record in records {
            let mask = kept.map { record.scores[$0] != nil && record.costs[$0] != nil }
            guard mask.contains(true) else {
                report.droppedPrompts += 1
                continue
            }
            rows.append(record)
            observed.append(mask)
            scores.append(kept.indices.map { mask[$0] ? record.scores[kept[$0]]! : means[$0].score })
            costs.append(kept.indices.map { mask[$0] ? record.costs[kept[$0]]! : means[$0].cost })
        }
        let set = CompleteSet(
            models: kept.map { models[$0] }, records: rows, scores: scores, costs: costs, scoreScale: scoreScale, notes: notes,
            observed: observed)
        return (set, report)
    }
}
