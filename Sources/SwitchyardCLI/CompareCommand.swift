import ArgumentParser
import Datasets
import Foundation
import NIOCore
import RPC
import RouterCore
import ServiceKit
import Wire

/// `switchyard compare`: sends prompts through a running gateway as "auto" and as fixed models,
/// and prints quality, cost and the routed model mix side by side; with a strong and a weak
/// baseline, also what a random router and the oracle reach at the routed strong-model share.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Send prompts through a gateway as \"auto\" and as fixed models; print quality, cost and the model mix.",
        discussion: """
            Quality is the mean recorded score of the answers, so it needs replay upstreams (real \
            upstreams report no score; then only cost, latency and the mix are printed). With two \
            baselines (the strong model first, then the weak one) and every routed answer from one \
            of them, the table adds a random router at the same strong-model share (the mean and \
            range of seeded draws), the oracle at that share, and the random router's quality at \
            the routed cost and cost at the routed quality.
            """)

    @Option(help: "The gateway's host:port.")
    var gateway: ServiceAddress

    @Option(help: "A JSONL(.gz) file whose lines have a \"prompt\" (a dataset file works).")
    var prompts: String

    @Option(help: "A fixed model to compare against, repeatable: the first is what the \"vs\" columns divide by (e.g. the strongest); a second (the weak one) adds the same-share baselines.")
    var baseline: [String]

    @Option(help: "Seeded draws of the random router at the routed share.")
    var randomDraws = 200

    @OptionGroup(title: "What the routed requests ask for") var objective: ObjectiveOptions

    @Option(help: "Requests in flight at once.")
    var concurrency = 32

    @Option(help: "How long each request may take (seconds, or e.g. 500ms).")
    var timeout: Duration = .seconds(30)

    @Flag(help: "Rate every answer with its recorded score when that is in [0, 1] (the Feedback RPC), as an application that checks its answers would: the gateway's store then holds the quality per model and cluster its dashboard shows.")
    var feedback = false

    @OptionGroup var caller: CallerOptions

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if baseline.isEmpty { throw ValidationError("give at least one --baseline model") }
        if randomDraws < 1 { throw ValidationError("--random-draws must be at least 1") }
    }

    func run() async throws {
        let prompts = try PromptFile.prompts(self.prompts)
        let client = RPCClient(
            address: gateway,
            configuration: .init(connectTimeout: .seconds(2), defaultTimeout: timeout, connections: 4, authToken: caller.token))
        defer { Task { await client.close() } }
        var results: [(label: String, tally: Tally)] = []
        for (label, model) in [("auto (routed)", "auto")] + baseline.map({ ("always \($0)", $0) }) {
            stderr("sending \(prompts.count) prompts as \(model)")
            let request = { (prompt: String) in
                CompleteRequest(prompt: prompt, model: model, tradeoff: model == "auto" ? objective.tradeoff : nil)
            }
            results.append((label, try await send(prompts.map(request), client)))
        }
        var table = Self.table(results, baseline: results[1].tally, prompts: prompts.count)
        if baseline.count == 2, let baselines = Self.sameShare(routed: results[0].tally, strong: results[1].tally, weak: results[2].tally,
                                                              strongModel: baseline[0], draws: randomDraws) {
            table += "\n\n" + Self.describe(baselines, strong: baseline[0], weak: baseline[1])
        }
        print(table)
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
                group.addTask { [feedback] in
                    do {
                        let response = try await client.call(Methods.complete, request)
                        if feedback, let score = response.recordedScore, (0...1).contains(score) {
                            _ = try await client.call(Methods.feedback, FeedbackRequest(id: response.requestID, score: score))
                        }
                        return (index, .success(response))
                    } catch {
                        return (index, .failure(RPCError(error)))
                    }
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
        /// Per line of the prompt file: the model that answered, its recorded score, its cost.
        var answers: [Int: (model: String, score: Double?, cost: Double)] = [:]

        /// Adds the answer to the prompt on `line` of the prompt file.
        mutating func add(_ result: Result<CompleteResponse, RPCError>, line: Int) {
            switch result {
            case .success(let response):
                answered += 1
                cost += response.costUSD
                latencies.append(response.latencyMs)
                models[response.model, default: 0] += 1
                if response.attempts.count > 1 { fallbacks += 1 }
                answers[line] = (response.model, response.recordedScore, response.costUSD)
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

    /// The same-share baselines, when every prompt has a scored answer in all three passes and
    /// the routed answers all came from the strong or the weak model; nil otherwise.
    static func sameShare(routed: Tally, strong: Tally, weak: Tally, strongModel: String, draws: Int) -> SameShareBaselines? {
        var prompts: [SameShareBaselines.Prompt] = [], sentToStrong: [Bool] = []
        for (line, answer) in routed.answers.sorted(by: { $0.key < $1.key }) {
            guard answer.score != nil, let s = strong.answers[line], let w = weak.answers[line], let strongScore = s.score, let weakScore = w.score,
                  [s.model, w.model].contains(answer.model)
            else { return nil }
            prompts.append(.init(strongScore: strongScore, weakScore: weakScore, strongCost: s.cost, weakCost: w.cost))
            sentToStrong.append(answer.model == strongModel)
        }
        return prompts.isEmpty ? nil : SameShareBaselines(prompts, sentToStrong: sentToStrong, draws: draws)
    }

    /// The lines that put the routed row beside what the same share could have given.
    static func describe(_ b: SameShareBaselines, strong: String, weak: String) -> String {
        func q(_ x: Double) -> String { String(format: "%.4f", x) }
        func usd(_ x: Double) -> String { String(format: "$%.4f", x) }
        func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        let share = percent(b.strongShare)
        var lines = [
            "At the routed share (\(share) of prompts to \(strong)), on the same prompts:", "",
            "| | quality | cost $ | vs \(strong) quality | vs \(strong) cost |", "|---|---|---|---|---|",
        ]
        func row(_ label: String, _ o: SameShareBaselines.Outcome, _ quality: String? = nil) -> String {
            "| \(label) | \(quality ?? q(o.quality)) | \(usd(o.cost)) | \(percent(o.quality / b.alwaysStrong.quality)) | \(percent(o.cost / b.alwaysStrong.cost)) |"
        }
        lines.append(row("auto (routed)", b.routed))
        lines.append(row("random router, \(b.draws) seeded draws: mean [min, max]", b.random,
                         "\(q(b.random.quality)) [\(q(b.randomQualityRange.lowerBound)), \(q(b.randomQualityRange.upperBound))]"))
        lines.append(row("oracle (the prompts where \(strong) gains most)", b.oracle))
        lines.append(row("always \(strong)", b.alwaysStrong))
        lines.append(row("always \(weak)", b.alwaysWeak))
        lines.append("")
        let beyond = b.routed.quality > b.randomQualityRange.upperBound
        lines.append("routed quality \(q(b.routed.quality)) is \(beyond ? "above" : "NOT above") the random router's greatest over \(b.draws) draws (\(q(b.randomQualityRange.upperBound)))")
        lines.append("at the routed cost \(usd(b.routed.cost)), a random router reaches quality \(q(b.randomQualityAtRoutedCost)) "
            + "(routed \(String(format: "%+.4f", b.routed.quality - b.randomQualityAtRoutedCost)))")
        if let cost = b.randomCostAtRoutedQuality {
            lines.append("at the routed quality, a random router costs \(usd(cost)) (routed \(percent(b.routed.cost / cost)) of it)")
        } else {
            lines.append("the routed quality is beyond always-\(strong)'s: no random router reaches it")
        }
        return lines.joined(separator: "\n")
    }
}
