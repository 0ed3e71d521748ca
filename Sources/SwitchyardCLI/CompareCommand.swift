import ArgumentParser
import Datasets
import Foundation
import NIOCore
import RPC
import ServiceKit
import Wire

/// `switchyard compare`: sends prompts through a running gateway as "auto" and as one fixed model,
/// and prints quality, cost and the routed model mix side by side.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Send prompts through a gateway as \"auto\" and as a fixed model; print quality, cost and the model mix.",
        discussion: """
            Quality is the mean recorded score of the answers, so it needs replay upstreams (real \
            upstreams report no score; then only cost, latency and the mix are printed).
            """)

    @Option(help: "The gateway's host:port.")
    var gateway: ServiceAddress

    @Option(help: "A JSONL(.gz) file whose lines have a \"prompt\" (a dataset file works).")
    var prompts: String

    @Option(help: "The fixed model to compare against (e.g. the strongest one).")
    var baseline: String

    @OptionGroup(title: "What the routed requests ask for") var objective: ObjectiveOptions

    @Option(help: "Requests in flight at once.")
    var concurrency = 32

    @Option(help: "How long each request may take (seconds, or e.g. 500ms).")
    var timeout: Duration = .seconds(30)

    @OptionGroup var caller: CallerOptions

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let prompts = try PromptFile.prompts(self.prompts)
        let client = RPCClient(
            address: gateway,
            configuration: .init(connectTimeout: .seconds(2), defaultTimeout: timeout, connections: 4, authToken: caller.token))
        defer { Task { await client.close() } }
        var results: [(label: String, tally: Tally)] = []
        for (label, model) in [("auto (routed)", "auto"), ("always \(baseline)", baseline)] {
            stderr("sending \(prompts.count) prompts as \(model)")
            let request = { (prompt: String) in
                CompleteRequest(prompt: prompt, model: model, tradeoff: model == "auto" ? objective.tradeoff : nil)
            }
            results.append((label, try await send(prompts.map(request), client)))
        }
        print(Self.table(results, baseline: results[1].tally, prompts: prompts.count))
        if results.contains(where: { $0.tally.failures > 0 }) {
            throw CommandFailure("some requests failed (see the failures column)")
        }
    }

    /// Sends every request with `concurrency` in flight and tallies the answers.
    func send(_ requests: [CompleteRequest], _ client: RPCClient) async throws -> Tally {
        var tally = Tally()
        try await withThrowingTaskGroup(of: (Int, Result<CompleteResponse, RPCError>).self) { group in
            var next = 0
            func launch() {
                let (index, request) = (next, requests[next])
                next += 1
                group.addTask {
                    do { return (index, .success(try await client.call(Methods.complete, request))) } catch { return (index, .failure(RPCError(error))) }
                }
            }
            while next < min(concurrency, requests.count) { launch() }
            while let (index, result) = try await group.next() {
                tally.add(result, line: index + 1)
                if next < requests.count { launch() }
            }
        }
        return tally
    }

    /// What came back for one way of choosing the model.
    struct Tally {
        var answered = 0
        var failures = 0
        var firstFailure: String?
        var scoreSum = 0.0
        var scored = 0
        var cost = 0.0
        var fallbacks = 0
        var latencies: [Double] = []
        var models: [String: Int] = [:]

        /// Adds the answer to the prompt on `line` of the prompt file.
        mutating func add(_ result: Result<CompleteResponse, RPCError>, line: Int) {
            switch result {
            case .success(let response):
                answered += 1
                cost += response.costUSD
                latencies.append(response.latencyMs)
                models[response.model, default: 0] += 1
                if response.attempts.count > 1 { fallbacks += 1 }
                if let score = response.recordedScore {
                    scoreSum += score
                    scored += 1
                }
            case .failure(let error):
                failures += 1
                if firstFailure == nil { firstFailure = "prompt on line \(line): \(error)" }
            }
        }

        var quality: Double? { scored > 0 ? scoreSum / Double(scored) : nil }
        var medianLatency: Double { latencies.isEmpty ? 0 : latencies.sorted()[latencies.count / 2] }
    }

    static func table(_ results: [(label: String, tally: Tally)], baseline: Tally, prompts: Int) -> String {
        func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        var lines = ["\(prompts) prompts through the gateway:", ""]
        lines.append("| | answered | failures | quality | vs baseline | cost $ | vs baseline | median ms | fallbacks | model mix |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for (label, tally) in results {
            let quality = tally.quality.map { String(format: "%.4f", $0) } ?? "n/a"
            let relativeQuality = tally.quality.flatMap { q in baseline.quality.map { percent(q / $0) } } ?? "n/a"
            let relativeCost = baseline.cost > 0 ? percent(tally.cost / baseline.cost) : "n/a"
            let mix = tally.models.sorted { $0.value > $1.value }
                .map { "\($0.key) \(percent(Double($0.value) / Double(max(1, tally.answered))))" }.joined(separator: ", ")
            lines.append("| \(label) | \(tally.answered) | \(tally.failures) | \(quality) | \(relativeQuality) | "
                + "\(String(format: "%.4f", tally.cost)) | \(relativeCost) | \(String(format: "%.1f", tally.medianLatency)) | "
                + "\(tally.fallbacks) | \(mix) |")
        }
        for (label, tally) in results { if let failure = tally.firstFailure { lines.append("first failure (\(label)): \(failure)") } }
        return lines.joined(separator: "\n")
    }
}
