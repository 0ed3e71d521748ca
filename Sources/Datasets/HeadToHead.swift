/// Turns a set scored against a baseline (AlpacaEval 2: each model's probability of beating
/// gpt4_1106_preview) into a two-model set of that baseline and one challenger: the challenger
/// scores its win probability p and the baseline 1 - p, so the pair's score margin is the
/// judge's preference. Models can take the names another set uses for them (AlpacaEval's
/// "gpt4_1106_preview" is RouteLLM's "gpt-4-1106-preview"), so the pair can train a router for
/// that set. Prompts without a judgement of the challenger are left out.
public struct HeadToHead: Sendable {
    public let baseline: String
    public let challenger: String
    /// Old name -> new name, for either model.
    public let renames: [String: String]

    public init(baseline: String, challenger: String, renames: [String: String] = [:]) {
        self.baseline = baseline
        self.challenger = challenger
        self.renames = renames
    }

    /// The pair's lines; throws when no line judges the challenger.
    public func pair(_ lines: [DatasetLine], file: String) throws -> [DatasetLine] {
        let paired = lines.compactMap { line -> DatasetLine? in
            guard let p = line.scores[challenger] else { return nil }
            var out = line
            let (b, c) = (name(baseline), name(challenger))
            out.scores = [b: 1 - p, c: p]
            out.scoreRange = nil
            out.costUSD = line.costUSD.map { costs in costs.filter { $0.key == baseline || $0.key == challenger }.renamingKeys(name) }
            out.tokens = line.tokens.map { tokens in tokens.filter { $0.key == baseline || $0.key == challenger }.renamingKeys(name) }
            return out
        }
        guard !paired.isEmpty else { throw DatasetError(file: file, line: nil, "no prompt has a score for \(challenger)") }
        return paired
    }

    private func name(_ model: String) -> String { renames[model] ?? model }
}

extension Dictionary where Key == String {
    fileprivate func renamingKeys(_ rename: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (rename($0.key), $0.value) })
    }
}
