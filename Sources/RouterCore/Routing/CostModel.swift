/// Each model's predicted dollars for a prompt: a straight line in the prompt's length, fitted
/// by least squares on the training prompts (input tokens grow with the prompt; the answer's
/// length is the model's average). Routers without cost statistics of their own use it.
public struct CostModel: Sendable, Equatable {
    /// Per model: dollars at length 0, and dollars per byte of prompt.
    public var intercept: [Double]
    public var slope: [Double]
    /// The lowest and highest per-model mean cost on the training prompts: what `relativeCost`
    /// scales between.
    public var range: ClosedRange<Double>

    public init(intercept: [Double], slope: [Double], range: ClosedRange<Double>) {
        self.intercept = intercept
        self.slope = slope
        self.range = range
    }

    /// The fit on `set`, whose prompts are `lengths` bytes long.
    public init(_ set: CompleteSet, lengths: [Int]) {
        let n = Double(max(set.count, 1))
        let meanLength = lengths.reduce(0.0) { $0 + Double($1) } / n
        var intercept: [Double] = [], slope: [Double] = []
        for m in set.models.indices {
            var covariance = 0.0, variance = 0.0
            for i in 0..<set.count {
                let dx = Double(lengths[i]) - meanLength
                covariance += dx * (set.costs[i][m] - set.meanCosts[m])
                variance += dx * dx
            }
            let b = variance > 0 ? max(0, covariance / variance) : 0
            slope.append(b)
            intercept.append(max(0, set.meanCosts[m] - b * meanLength))
        }
        self.init(intercept: intercept, slope: slope, range: (set.meanCosts.min() ?? 0)...(set.meanCosts.max() ?? 0))
    }

    /// Predicted dollars per model for a prompt of `length` bytes.
    public func cost(length: Int) -> [Double] {
        zip(intercept, slope).map { $0 + $1 * Double(length) }
    }

    /// `quality` and the predicted cost for `length` as estimates, quality on its own [0, 1]
    /// scale and cost scaled over the training range.
    public func estimates(quality: [Double], length: Int) -> ModelEstimates {
        ModelEstimates(quality: quality, cost: cost(length: length), qualityRange: 0...1, costRange: range)
    }

    /// The tensors a stored router keeps it in.
    var tensors: [String: Matrix] {
        ["cost_intercept": Matrix(vector: intercept), "cost_slope": Matrix(vector: slope),
         "cost_range": Matrix(vector: [range.lowerBound, range.upperBound])]
    }

    /// The cost model a stored router keeps.
    init(_ stored: StoredRouter) throws {
        let m = stored.models.count
        let range = try stored.vector("cost_range", count: 2).map(Double.init)
        guard range[0] <= range[1] else { throw RoutingError.badModel(["cost range is inverted"]) }
        self.init(
            intercept: try stored.vector("cost_intercept", count: m).map(Double.init),
            slope: try stored.vector("cost_slope", count: m).map(Double.init), range: range[0]...range[1])
    }
}
