/// The two models RouteLLM's threshold routes between, by index: the strong one (the best on
/// the training data) and the weak one (the cheapest of the others).
public struct ModelPair: Sendable, Equatable, Codable {
    public var strong: Int
    public var weak: Int

    public init(strong: Int, weak: Int) { (self.strong, self.weak) = (strong, weak) }

    /// The pair of a training set: the model with the best mean score, and the one with the lowest
    /// mean cost among the rest (a one-model set pairs the model with itself).
    public init(_ set: CompleteSet) {
        let models = set.models.indices
        strong = models.max { set.meanScores[$0] < set.meanScores[$1] } ?? 0
        let strong = self.strong
        weak = models.filter { $0 != strong }.min { set.meanCosts[$0] < set.meanCosts[$1] } ?? strong
    }

    /// Whether both indices name models of `count`, and differ unless there is only one.
    public func isValid(models count: Int) -> Bool {
        (0..<count).contains(strong) && (0..<count).contains(weak) && (strong != weak || count == 1)
    }

    /// How much better the strong model is predicted to do than the weak one.
    public func gain(_ quality: [Double]) -> Double { quality[strong] - quality[weak] }
}

extension ModelPair {
    /// The pair as the numbers a stored router keeps.
    public var numbers: [String: Double] { ["strong": Double(strong), "weak": Double(weak)] }

    /// The pair a stored router keeps.
    public init(_ numbers: [String: Double]) throws {
        guard let strong = numbers["strong"], let weak = numbers["weak"] else {
            throw RoutingError.badModel(["no strong/weak model pair"])
        }
        self.init(strong: Int(strong), weak: Int(weak))
    }
}
