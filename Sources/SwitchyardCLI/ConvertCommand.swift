import ArgumentParser
import Datasets

/// `switchyard convert`: turns published benchmark results into Switchyard datasets.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert RouteLLM or AlpacaEval 2 result files to Switchyard's JSONL dataset format.",
        discussion: """
            head-to-head makes a two-model set from a Switchyard dataset scored against a baseline \
            (AlpacaEval 2): --input data/alpaca_eval2.jsonl.gz --baseline gpt4_1106_preview \
            --challenger Mixtral-8x7B-Instruct-v0.1_concise, with --rename old=new to use another set's names.
            """)

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case routellmMmlu = "routellm-mmlu", routellmGsm8k = "routellm-gsm8k", routellmMtBench = "routellm-mt-bench"
        case alpacaEval2 = "alpaca-eval2"
        case headToHead = "head-to-head"
    }

    @Argument(help: "What to convert: \(Source.allCases.map(\.rawValue).joined(separator: ", ")).")
    var source: Source

    @Option(help: "The directory holding the source files (head-to-head: a dataset file).")
    var input: String

    @Option(help: "head-to-head: the model every score was judged against.")
    var baseline: String?

    @Option(help: "head-to-head: the model paired with the baseline.")
    var challenger: String?

    @Option(help: "head-to-head: give a model another name, old=new; repeatable.")
    var rename: [String] = []

    @Option(help: "The dataset to write (.jsonl or .jsonl.gz).")
    var out: String

    func run() throws {
        let lines: [DatasetLine]
        switch source {
        case .routellmMmlu: lines = try RouteLLMConverter(directory: input).mmlu()
        case .routellmGsm8k: lines = try RouteLLMConverter(directory: input).gsm8k()
        case .routellmMtBench: lines = try RouteLLMConverter(directory: input).mtBench()
        case .alpacaEval2: lines = try AlpacaEvalConverter(directory: input).convert()
        case .headToHead: lines = try headToHead().pair(try DatasetFile.lines(input), file: input)
        }
        try DatasetFile.write(lines, to: out)
        let models = Set(lines.flatMap(\.scores.keys))
        print("wrote \(out): \(lines.count) prompts, \(models.count) models")
    }

    private func headToHead() throws -> HeadToHead {
        guard let baseline, let challenger else { throw ValidationError("head-to-head needs --baseline and --challenger") }
        var renames: [String: String] = [:]
        for pair in rename {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--rename takes old=new, not \(pair)")
            }
            renames[parts[0]] = parts[1]
        }
        return HeadToHead(baseline: baseline, challenger: challenger, renames: renames)
    }
}
