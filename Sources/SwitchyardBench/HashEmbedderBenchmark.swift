import ArgumentParser
import Datasets
import Foundation
import RouterCore

/// The hash embedder on real prompt lengths: microseconds per prompt and per kilobyte for each
/// bundled benchmark's prompts, and for long chat prompts (real prompts joined to 2-8 KB).
struct HashEmbedderBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash", abstract: "µs per prompt of the hash embedder on real prompt lengths (one core).")

    @Option(help: "Dataset files (JSONL or .jsonl.gz with a \"prompt\" per line), by name=path.")
    var data: [String] = [
        "mmlu=data/routellm/mmlu.jsonl.gz", "gsm8k=data/routellm/gsm8k.jsonl.gz",
        "alpaca_eval=data/alpaca_eval2.jsonl.gz",
    ]
    @Option(help: "Timed passes over each set; the median pass is reported.") var passes = 5
    @Option(help: "Prompts taken from each set (all of MMLU's 14,037 by default).") var limit = 20000
    @Option(help: "Long chat prompts (2-8 KB) made from the sets' prompts; 0 for none.") var longPrompts = 200

    func run() throws {
        let embedder = HashEmbedder()
        var sets: [(name: String, prompts: [String])] = try data.map { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--data takes name=path, not \(spec)") }
            return (parts[0], Array(try PromptFile.prompts(parts[1]).prefix(limit)))
        }
        if longPrompts > 0 { sets.append(("chat 2-8 KB", Self.longPrompts(from: sets.flatMap(\.prompts), count: longPrompts))) }
        var sink = 0
        for (name, prompts) in sets {
            let bytes = prompts.reduce(0) { $0 + $1.utf8.count }
            var perPrompt = Samples(capacity: passes)
            for _ in 0..<passes {
                let start = nowNanoseconds()
                for prompt in prompts { sink &+= embedder.embed(prompt).count }
                perPrompt.append(Double(nowNanoseconds() - start) / Double(prompts.count))
            }
            let microseconds = perPrompt.percentile(50) / 1000
            let meanBytes = Double(bytes) / Double(prompts.count)
            print("hash embedder, \(name): \(prompts.count) prompts of \(format(meanBytes, 0)) bytes on average: "
                + "\(format(microseconds, 2)) µs per prompt, \(format(microseconds * 1000 / meanBytes, 2)) µs per KB, "
                + "\(format(1e6 / microseconds, 0)) prompts/s")
        }
        precondition(sink != 0)
    }

    /// `count` prompts of 2 to 8 KB, each real prompts joined by blank lines (a long chat turn).
    static func longPrompts(from prompts: [String], count: Int) -> [String] {
        var generator = SeededGenerator(seed: 16)
        return (0..<count).map { _ in
            let target = 2048 + Int(generator.nextUnit() * 6144)
            var text = ""
            while text.utf8.count < target { text += prompts[Int(generator.nextUnit() * Double(prompts.count))] + "\n\n" }
            return text
        }
    }
}
