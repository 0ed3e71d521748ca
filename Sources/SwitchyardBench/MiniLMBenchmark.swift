import ArgumentParser
import EmbeddingOptions
import Foundation
import MiniLM

/// all-MiniLM-L6-v2 in Swift on a prompt file: throughput at batch 1 and 32 (length-sorted and
/// not), and one prompt's latency. scripts/minilm-bench.sh runs it beside PyTorch and ONNX Runtime.
struct MiniLMBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minilm", abstract: "prompts/s and one-prompt latency of the native MiniLM embedder.")

    @Option(help: "A text file with one prompt per line (JSON-escaped lines are fine too).")
    var prompts: String

    @Option(help: "Prompts timed per throughput run.")
    var count = 320

    @OptionGroup var minilm: MiniLMOptions

    @Option(help: "The reference vectors of sentence-transformers (Tests/MiniLMTests/Fixtures/minilm-reference.json): report the least cosine to them.")
    var reference: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Only embed one prompt at a time, repeatedly (for profiling the single-prompt path).")
    var onlyOne = false

    func run() throws {
        let texts = try String(contentsOfFile: prompts, encoding: .utf8).split(separator: "\n").map(String.init)
        guard !texts.isEmpty else { throw ValidationError("\(prompts) has no prompts") }
        let sample = (0..<count).map { texts[$0 % texts.count] }
        let sorted = try minilm.load(maxBatch: 32)
        _ = sorted.embed(Array(sample.prefix(64)))
        if onlyOne {
            for text in sample { _ = sorted.embed([text]) }
            return
        }
        func rate(_ body: ([String]) -> Void) -> Double {
            let started = DispatchTime.now().uptimeNanoseconds
            body(sample)
            return Double(sample.count) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        let batch32Sorted = rate { _ = sorted.embed($0) }
        let batch32Unsorted = rate { _ = sorted.embed($0, sortByLength: false) }
        let batch1 = rate { texts in for text in texts { _ = sorted.embed([text]) } }
        var latencies: [Double] = []
        for text in sample.prefix(200) {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = sorted.embed([text])
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        latencies.sort()
        let leastCosine = try reference.map { try Self.leastCosine(sorted, reference: $0) }
        let p50 = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        if json {
            print("{\"engine\": \"switchyard-\(sorted.precision)\", \"batch32_sorted\": \(batch32Sorted), \"batch32_unsorted\": \(batch32Unsorted), "
                + "\"batch1\": \(batch1), \"p50_ms\": \(p50), \"p99_ms\": \(p99)"
                + (leastCosine.map { ", \"least_cosine\": \($0)" } ?? "") + "}")
        } else {
            print("switchyard MiniLM (\(sorted.precision), \(sorted.kernels)): " + String(
                format: "batch 32 sorted %.1f prompts/s, unsorted %.1f, batch 1 %.1f; one prompt p50 %.2f ms, p99 %.2f ms",
                batch32Sorted, batch32Unsorted, batch1, p50, p99))
        }
    }

    /// The least cosine between this embedder's vectors and sentence-transformers' for the
    /// sentences of `reference` ({"sentences": [{"text", "vector"}]}).
    static func leastCosine(_ embedder: MiniLMEmbedder, reference: String) throws -> Float {
        struct Reference: Decodable {
            struct Sentence: Decodable { var text: String; var vector: [Float] }
            var sentences: [Sentence]
        }
        let sentences = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: reference))).sentences
        let vectors = embedder.embed(sentences.map(\.text)).vectors
        return zip(sentences, vectors).map { sentence, vector in
            let dot = zip(sentence.vector, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let norms = sentence.vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() * vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            return dot / norms
        }.min() ?? 0
    }
}
