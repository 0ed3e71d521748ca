import ArgumentParser
import Datasets

/// `switchyard convert`: turns published benchmark results into Switchyard datasets.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert RouteLLM or AlpacaEval 2 result files to Switchyard's JSONL dataset format.")

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case routellmMmlu = "routellm-mmlu", routellmGsm8k = "routellm-gsm8k", routellmMtBench = "routellm-mt-bench"
        case alpacaEval2 = "alpaca-eval2"
    }

    @Argument(help: "What to convert: \(Source.allCases.map(\.rawValue).joined(separator: ", ")).")
    var source: Source

    @Option(help: "The directory holding the source files.")
    var input: String

    @Option(help: "The dataset to write (.jsonl or .jsonl.gz).")
    var out: String

    func run() throws {
        let lines: [DatasetLine]
        switch source {
        case .routellmMmlu: lines = try RouteLLMConverter(directory: input).mmlu()
        case .routellmGsm8k: lines = try RouteLLMConverter(directory: input).gsm8k()
        case .routellmMtBench: lines = try RouteLLMConverter(directory: input).mtBench()
        case .alpacaEval2: lines = try AlpacaEvalConverter(directory: input).convert()
        }
        try DatasetFile.write(lines, to: out)
        let models = Set(lines.flatMap(\.scores.keys))
        print("wrote \(out): \(lines.count) prompts, \(models.count) models")
    }
}
