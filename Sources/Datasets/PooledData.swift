import RouterCore

/// Dataset files read once: their lines, pooled over the union of their models, and the dense
/// set training and evaluation use (with what completing it left out).
public struct PooledData: Sendable {
    /// The files, in the order given.
    public let files: [String]
    /// Every line of every file, in order.
    public let lines: [DatasetLine]
    /// The pooled set with every kept model scored and priced on every kept prompt.
    public let set: CompleteSet
    /// Models and prompts left out of `set`, and why.
    public let report: PromptSet.CompletionReport

    /// Which entries a pooled set needs.
    public enum Coverage: Sendable {
        /// Every kept model scored on every kept prompt; models scored on fewer than this share
        /// of the prompts are left out (benchmarks).
        case complete(minimumShare: Double)
        /// What was recorded, gaps marked (`PromptSet.observed`): traffic, where the model that
        /// answered is the one scored; models with fewer scored prompts than this are left out.
        case observed(minimumPrompts: Int)
    }

    /// Reads `files` (JSONL or JSONL.gz), pricing token counts with `prices`, and keeps what
    /// `coverage` asks. Throws a `DatasetError` naming the file (and line) of any problem, or
    /// when nothing is left.
    public init(files: [String], prices: PriceTable, coverage: Coverage = .complete(minimumShare: 0.9)) throws {
        precondition(!files.isEmpty, "no dataset files")
        var lines: [DatasetLine] = []
        var pooled: PromptSet?
        for file in files {
            let fileLines = try DatasetFile.lines(file)
            let set = DatasetFile.promptSet(fileLines, prices: prices)
            pooled = pooled.map { $0.merged(with: set) } ?? set
            lines += fileLines
        }
        switch coverage {
        case .complete(let share): (set, report) = pooled!.complete(minimumCoverage: share)
        case .observed(let prompts): (set, report) = pooled!.observed(minimumObservations: prompts)
        }
        guard set.count > 0, !set.models.isEmpty else {
            let unpriced = Set(lines.flatMap { line in (line.tokens ?? [:]).keys.filter { prices[$0] == nil && line.costUSD?[$0] == nil } })
            let why = unpriced.isEmpty ? "" : "; no price for \(unpriced.sorted().joined(separator: ", ")) in the price table (--prices: "
                + "a JSON object of model -> {\"input_per_million\", \"output_per_million\"} dollars)"
            throw DatasetError(file: files.joined(separator: ", "), "no prompt has a score and cost for every kept model" + why)
        }
        self.files = files
        self.lines = lines
    }

    /// The lines of the prompts whose ids are in `ids`, in file order (to write a subset back
    /// out in the dataset format).
    public func lines(ids: Set<String>) -> [DatasetLine] {
        lines.filter { ids.contains($0.id) }
    }

    /// `set` with its models in `models` order (to train on these files and test on others);
    /// throws naming the models these files do not score.
    public func set(alignedTo models: [String]) throws -> CompleteSet {
        let positions = models.map { set.models.firstIndex(of: $0) }
        let missing = zip(models, positions).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw DatasetError(file: files.joined(separator: ", "), "no scores for \(missing.joined(separator: ", "))")
        }
        let p = positions.map { $0! }
        return CompleteSet(
            models: models, records: set.records, scores: set.scores.map { row in p.map { row[$0] } },
            costs: set.costs.map { row in p.map { row[$0] } }, scoreScale: set.scoreScale, notes: set.notes)
    }
}
