import Foundation
import RouterCore

/// Converts RouteLLM's evaluation files (lm-sys/RouteLLM, routellm/evals) to Switchyard datasets,
/// decontaminated as routellm/evals/benchmarks.py does: prompts listed in the
/// `*_contaminated_prompts.jsonl` files' `eval_prompt` field are dropped.
///
/// RouteLLM records no token counts. Tokens are estimated as characters / 4 from the prompt and,
/// where the files keep them, the responses; MMLU keeps none, and its answers are one letter, so
/// MMLU output is estimated as 1 token.
public struct RouteLLMConverter: Sendable {
    /// The directory with gsm8k_responses.csv, mmlu_responses.csv, mt_bench_*.jsonl and the
    /// contamination lists.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    static let strong = "gpt-4-1106-preview"
    static let weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// The `eval_prompt`s of a contamination list.
    func contaminated(_ name: String) throws -> Set<String> {
        let file = path(name)
        var prompts = Set<String>()
        for (line, object) in try JSONLines.objects(file) {
            guard let prompt = object["eval_prompt"] as? String else {
                throw DatasetError(file: file, line: line, "no \"eval_prompt\" string")
            }
            prompts.insert(prompt.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return prompts
    }

    /// GSM8K: correctness (0/1) of both models; tokens from prompt and response lengths.
    public func gsm8k() throws -> [DatasetLine] {
        let file = path("gsm8k_responses.csv")
        let csv = try CSV(try TextFile.read(file), file: file)
        let columns = try ["prompt", Self.weak, Self.strong, Self.weak + "_response", Self.strong + "_response"]
            .map { try csv.column($0, file: file) }
        let dropped = try contaminated("gsm8k_contaminated_prompts.jsonl")
        var lines: [DatasetLine] = []
        for (i, row) in csv.rows.enumerated() {
            let prompt = row[columns[0]]
            if dropped.contains(prompt.trimmingCharacters(in: .whitespacesAndNewlines)) { continue }
            let input = PriceTable.estimatedTokens(characters: prompt.count)
            lines.append(DatasetLine(
                id: String(format: "gsm8k-%04d", i), prompt: prompt, dataset: "gsm8k",
                scores: [Self.weak: try flag(row[columns[1]], file, i), Self.strong: try flag(row[columns[2]], file, i)],
                tokens: [
                    Self.weak: .init(input: input, output: PriceTable.estimatedTokens(characters: row[columns[3]].count), estimated: true),
                    Self.strong: .init(input: input, output: PriceTable.estimatedTokens(characters: row[columns[4]].count), estimated: true),
                ]))
        }
        return lines
    }

    /// MMLU: 57 subjects, correctness of both models; one output token (a letter), estimated.
    public func mmlu() throws -> [DatasetLine] {
        let file = path("mmlu_responses.csv")
        let csv = try CSV(try TextFile.read(file), file: file)
        let columns = try ["domain", "prompt", Self.weak, Self.strong].map { try csv.column($0, file: file) }
        let dropped = try contaminated("mmlu_contaminated_prompts.jsonl")
        var lines: [DatasetLine] = []
        for (i, row) in csv.rows.enumerated() {
            let prompt = row[columns[1]]
            if dropped.contains(prompt.trimmingCharacters(in: .whitespacesAndNewlines)) { continue }
            let tokens = DatasetLine.TokenCount(input: PriceTable.estimatedTokens(characters: prompt.count), output: 1, estimated: true)
            lines.append(DatasetLine(
                id: String(format: "mmlu-%05d", i), prompt: prompt, dataset: "mmlu", domain: row[columns[0]],
                scores: [Self.weak: try flag(row[columns[2]], file, i), Self.strong: try flag(row[columns[3]], file, i)],
                tokens: [Self.weak: tokens, Self.strong: tokens]))
        }
        return lines
    }

    /// MT-Bench: GPT-4's 1-10 judge score per model, the mean of the two turns; the prompt is the
    /// first turn (what a router sees first); tokens from both turns and both answers.
    public func mtBench() throws -> [DatasetLine] {
        let questionsFile = path("mt_bench_question.jsonl")
        var questions: [(id: Int, category: String, turns: [String])] = []
        for (line, object) in try JSONLines.objects(questionsFile) {
            guard let id = object["question_id"] as? Int, let turns = object["turns"] as? [String], !turns.isEmpty
            else { throw DatasetError(file: questionsFile, line: line, "needs question_id and turns") }
            questions.append((id, object["category"] as? String ?? "", turns))
        }
        let judgementsFile = path("mt_bench_judgements.jsonl")
        var scores: [Int: [String: [Double]]] = [:]
        var answerChars: [Int: [String: Int]] = [:]
        for (line, object) in try JSONLines.objects(judgementsFile) {
            guard let id = object["question_id"] as? Int, let model = object["model"] as? String,
                  let score = object["score"] as? Double, let turn = object["turn"] as? Int
            else { throw DatasetError(file: judgementsFile, line: line, "needs question_id, model, score and turn") }
            guard score >= 1 else { continue }  // -1 marks a failed judgement
            scores[id, default: [:]][model, default: []].append(score)
            if turn == 2, let conversation = object["user_prompt"] as? String {
                answerChars[id, default: [:]][model] = Self.assistantCharacters(conversation)
            }
        }
        let dropped = try contaminated("mt_bench_contaminated_prompts.jsonl")
        return questions.compactMap { question -> DatasetLine? in
            let first = question.turns[0]
            guard !dropped.contains(first.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let byModel = scores[question.id] else { return nil }
            let input = PriceTable.estimatedTokens(characters: question.turns.joined().count)
            var lineScores: [String: Double] = [:]
            var tokens: [String: DatasetLine.TokenCount] = [:]
            for model in [Self.weak, Self.strong] {
                guard let values = byModel[model], !values.isEmpty else { continue }
                lineScores[model] = values.reduce(0, +) / Double(values.count)
                let output = PriceTable.estimatedTokens(characters: answerChars[question.id]?[model] ?? 0)
                tokens[model] = .init(input: input, output: output, estimated: true)
            }
            return DatasetLine(id: "mt_bench-\(question.id)", prompt: first, dataset: "mt_bench", domain: question.category,
                               scoreRange: [1, 10], scores: lineScores, tokens: tokens)
        }
    }

    /// Characters of the assistant's answers in a judge prompt's conversation transcript.
    static func assistantCharacters(_ conversation: String) -> Int {
        conversation.components(separatedBy: "### Assistant A:").dropFirst().reduce(0) { total, part in
            let end = [part.range(of: "### User:"), part.range(of: "<|The End of Assistant A")]
                .compactMap { $0?.lowerBound }.min() ?? part.endIndex
            return total + part[..<end].trimmingCharacters(in: .whitespacesAndNewlines).count
        }
    }

    private func flag(_ text: String, _ file: String, _ row: Int) throws -> Double {
        switch text {
        case "True", "true", "1", "1.0": return 1
        case "False", "false", "0", "0.0": return 0
        default: throw DatasetError(file: file, line: nil, "row \(row + 1): \"\(text)\" is not True/False")
        }
    }
}
