import Foundation
import RouterCore

/// Reads and writes datasets in the JSONL format of `DatasetLine`.
public enum DatasetFile {
    /// Loads `path` (JSONL, or JSONL.gz) into a prompt set, pricing token counts with `prices`.
    ///
    /// A malformed line throws an error naming the file and line. Models without a score on
    /// some lines, or without a cost, are kept with gaps (`PromptSet.complete` reports them).
    public static func load(_ path: String, prices: PriceTable) throws -> PromptSet {
        promptSet(try lines(path), prices: prices)
    }

    /// The validated lines of `path` (JSONL, or JSONL.gz), in file order. A malformed line, a
    /// duplicate id or an empty file throws an error naming the file (and line).
    public static func lines(_ path: String) throws -> [DatasetLine] {
        let lines = TextFile.lines(try TextFile.read(path))
        let decoder = JSONDecoder()
        var parsed: [(line: Int, value: DatasetLine)] = []
        var ids = Set<String>()
        for (index, text) in lines.enumerated() where !text.allSatisfy(\.isWhitespace) {
            let number = index + 1
            let line: DatasetLine
            do {
                line = try decoder.decode(DatasetLine.self, from: Data(text.utf8))
            } catch {
                throw DatasetError(file: path, line: number, "not a dataset line: \(describe(error))")
            }
            try validate(line, file: path, line: number)
            guard ids.insert(line.id).inserted else { throw DatasetError(file: path, line: number, "duplicate id \"\(line.id)\"") }
            parsed.append((number, line))
        }
        guard !parsed.isEmpty else { throw DatasetError(file: path, "no prompts in the file") }
        return parsed.map(\.value)
    }

    /// The prompt set of validated lines; models in order of first appearance.
    static func promptSet(_ lines: [DatasetLine], prices: PriceTable) -> PromptSet {
        var models: [String] = []
        for line in lines { for model in line.scores.keys.sorted() where !models.contains(model) { models.append(model) } }
        var estimated = 0
        var unpriced = Set<String>()
        var ranges = Set<[Double]>()
        let records = lines.map { line -> PromptSet.Record in
            let range = line.scoreRange ?? [0, 1]
            ranges.insert(range)
            if line.tokens?.values.contains(where: { $0.estimated == true }) == true { estimated += 1 }
            let scores = models.map { line.scores[$0].map { ($0 - range[0]) / (range[1] - range[0]) } }
            let costs = models.map { model -> Double? in
                if let cost = line.costUSD?[model] { return cost }
                guard let tokens = line.tokens?[model] else { return nil }
                guard let price = prices[model] else {
                    unpriced.insert(model)
                    return nil
                }
                return price.cost(inputTokens: tokens.input, outputTokens: tokens.output)
            }
            return PromptSet.Record(id: line.id, prompt: line.prompt, dataset: line.dataset, domain: line.domain,
                                    scores: scores, costs: costs, embedding: line.embedding)
        }
        var notes: [String] = []
        if estimated > 0 {
            notes.append("token counts estimated from characters (chars/4) on \(estimated) of \(lines.count) prompts")
        }
        if !unpriced.isEmpty { notes.append("no price for: \(unpriced.sorted().joined(separator: ", "))") }
        let scale = ranges.count == 1 ? ranges.first.map { $0[0]...$0[1] } : nil
        return PromptSet(models: models, records: records, scoreScale: scale, notes: notes)
    }

    private static func validate(_ line: DatasetLine, file: String, line number: Int) throws {
        func fail(_ reason: String) -> DatasetError { DatasetError(file: file, line: number, reason) }
        if line.id.isEmpty { throw fail("empty id") }
        if line.prompt.isEmpty, line.embedding == nil { throw fail("empty prompt (and no embedding in its place)") }
        if let embedding = line.embedding, embedding.isEmpty || !embedding.allSatisfy(\.isFinite) {
            throw fail("embedding must be a non-empty array of finite numbers")
        }
        if line.scores.isEmpty {
            throw fail("no scores (an export of traffic holds unrated answers too: `switchyard outcomes export --rated` writes only those with feedback)")
        }
        let range = line.scoreRange ?? [0, 1]
        guard range.count == 2, range[0].isFinite, range[1].isFinite, range[0] < range[1] else {
            throw fail("score_range must be [low, high] with low < high")
        }
        for (model, score) in line.scores.sorted(by: { $0.key < $1.key }) {
            guard score.isFinite, score >= range[0], score <= range[1] else {
                throw fail("score \(score) of \(model) is outside score_range [\(range[0]), \(range[1])]")
            }
        }
        for (model, cost) in (line.costUSD ?? [:]) where !(cost.isFinite && cost >= 0) {
            throw fail("cost_usd \(cost) of \(model) must be a finite number >= 0")
        }
        for (model, tokens) in (line.tokens ?? [:]) where !(tokens.input >= 0 && tokens.output >= 0) {
            throw fail("token counts of \(model) must be >= 0")
        }
    }

    /// Writes `lines` as JSONL (gzip when `path` ends in .gz), keys sorted so output is stable.
    public static func write(_ lines: [DatasetLine], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for line in lines {
            text += String(decoding: try encoder.encode(line), as: UTF8.self)
            text += "\n"
        }
        try TextFile.write(text, to: path)
    }

    /// A one-line reason from a JSON decoding error.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at \"\(path)\": \(context.debugDescription)"
        case .dataCorrupted(let context): return "invalid JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
