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
        let p50 = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        if json {
            print("{\"engine\": \"switchyard\", \"batch32_sorted\": \(batch32Sorted), \"batch32_unsorted\": \(batch32Unsorted), "
                + "\"batch1\": \(batch1), \"p50_ms\": \(p50), \"p99_ms\": \(p99)}")
        } else {
            print(String(format: "switchyard MiniLM: batch 32 sorted %.1f prompts/s, unsorted %.1f, batch 1 %.1f; one prompt p50 %.2f ms, p99 %.2f ms",
                         batch32Sorted, batch32Unsorted, batch1, p50, p99))
        }
    }
}
