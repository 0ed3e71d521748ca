import Foundation
import RouterCore

/// Converts AlpacaEval 2 judge annotations (tatsu-lab/alpaca_eval) to a Switchyard dataset.
///
/// The score of a model on an instruction is its probability of beating the gpt4_1106_preview
/// baseline under the GPT-4-turbo judge: `preference_1to2 - 1`, in [0, 1] (the mean is the
/// leaderboard's win rate). Tokens are estimated as characters / 4 of the instruction and of the
/// model's output. The `example` entry is a placeholder, not a model, and is left out.
public struct AlpacaEvalConverter: Sendable {
    /// The directory with preferences.csv and instructions.jsonl.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// Generators that are not models.
    public static let excluded: Set<String> = ["example"]

    public func convert() throws -> [DatasetLine] {
        let instructionsFile = (directory as NSString).appendingPathComponent("instructions.jsonl")
        var instructions: [Int: (text: String, dataset: String)] = [:]
        for (line, object) in try JSONLines.objects(instructionsFile) {
            guard let index = object["instruction_idx"] as? Int, let text = object["instruction"] as? String
            else { throw DatasetError(file: instructionsFile, line: line, "needs instruction_idx and instruction") }
            instructions[index] = (text, object["dataset"] as? String ?? "")
        }
        let file = (directory as NSString).appendingPathComponent("preferences.csv")
        let csv = try CSV(try TextFile.read(file), file: file)
        let generator = try csv.column("generator", file: file), index = try csv.column("instruction_idx", file: file)
        let preference = try csv.column("preference_1to2", file: file), length = try csv.column("len_output_chars", file: file)
        var scores: [Int: [String: Double]] = [:]
        var outputs: [Int: [String: Double]] = [:]
        for (row, fields) in csv.rows.enumerated() {
            let model = fields[generator]
            guard !Self.excluded.contains(model), !fields[preference].isEmpty else { continue }
            guard let idx = Int(fields[index]), instructions[idx] != nil, let pref = Double(fields[preference]),
                  (1...2).contains(pref), let chars = Int(fields[length])
            else { throw DatasetError(file: file, line: nil, "row \(row + 1): bad instruction_idx, preference or length") }
            scores[idx, default: [:]][model] = pref - 1
            outputs[idx, default: [:]][model] = PriceTable.estimatedTokens(characters: chars)
        }
        return scores.keys.sorted().map { idx in
            let instruction = instructions[idx]!
            let input = PriceTable.estimatedTokens(characters: instruction.text.count)
            return DatasetLine(
                id: String(format: "alpaca_eval-%03d", idx), prompt: instruction.text, dataset: "alpaca_eval2",
                domain: instruction.dataset, scores: scores[idx]!,
                tokens: outputs[idx]!.mapValues { .init(input: input, output: $0, estimated: true) })
        }
    }
}
