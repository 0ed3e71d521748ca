/// A seeded random train/test split of row indices.
public struct Split: Sendable, Equatable {
    public var train: [Int]
    public var test: [Int]

    /// Shuffles 0..<count with `seed` and puts the first `trainFraction` into `train`.
    public init(count: Int, trainFraction: Double = 0.7, seed: UInt64 = 42) {
        precondition((0...1).contains(trainFraction), "train fraction must be in [0, 1]")
        var indices = Array(0..<count)
        var random = SeededGenerator(seed: seed)
        indices.shuffle(using: &random)
        let cut = Int((Double(count) * trainFraction).rounded())
        train = Array(indices[..<cut]).sorted()
        test = Array(indices[cut...]).sorted()
    }
}
