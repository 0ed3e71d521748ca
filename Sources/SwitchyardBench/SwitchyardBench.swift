import ArgumentParser
import ServiceKit

/// `switchyard-bench`: micro-benchmarks of the wire layer (scripts/bench.sh runs them).
@main
struct SwitchyardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-bench",
        abstract: "Micro-benchmarks: message codec cost and sequential RPC round trips.",
        version: switchyardVersion,
        subcommands: [CodecBenchmark.self, PingBenchmark.self, RouteBenchmark.self, HashEmbedderBenchmark.self, MiniLMBenchmark.self, EchoBenchmark.self])
}
