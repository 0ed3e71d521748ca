import ArgumentParser
import Datasets
import Foundation
import LoadTest
import RouterCore
import RPC
import ServiceKit
import Wire

/// `switchyard-load`: the load-test client.
@main
struct SwitchyardLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-load",
        abstract: "Load-test a router, coordinator, embedding service or gateway; latency percentiles from HdrHistogram.",
        discussion: """
            Closed loop (default): --connections x --depth requests always in flight. Open loop: --rate \
            requests per second on schedule, latency measured from the scheduled send time.
            """, version: switchyardVersion)

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case route, embed, complete, health
    }

    @Argument(help: "The service, host:port.")
    var target: ServiceAddress

    @Option(help: "What to send: route (router or coordinator), embed, complete (gateway), health.")
    var method: Method = .route

    @Option(help: "Prompts: a JSONL(.gz) file whose lines have a \"prompt\" (a dataset file works).")
    var prompts = "data/routellm/gsm8k.jsonl.gz"

    @Option(help: "Distinct requests built from the prompts (sent in turn).")
    var maxPrompts = 1000

    @Flag(help: "route: send precomputed vectors (hash-embedded here) instead of prompt text.")
    var vectors = false

    @Option(help: "route --vectors: the router model's dimension.")
    var dimension = 384

    @OptionGroup(title: "route/complete: what the requests ask for") var objective: ObjectiveOptions

    @Option(help: "complete: the model to ask for.")
    var model = "auto"

    @Option(help: "embed: texts per request.")
    var batch = 1

    @Option(help: "Connections to the target.")
    var connections = 4

    @Option(help: "Closed loop: requests in flight per connection.")
    var depth = 16

    @Option(help: "Open loop: requests per second (switches from closed to open loop).")
    var rate: Double?

    @Option(help: "How long to record, after the warm-up (seconds, or e.g. 500ms).")
    var duration: Duration = .seconds(10)

    @Option(help: "Send this many requests instead of running for --duration (warm-up ones included).")
    var requests: Int?

    @Option(help: "How long requests are sent first and not recorded.")
    var warmup: Duration = .seconds(1)

    @Option(help: "How long each request may take.")
    var timeout: Duration = .seconds(10)

    @Option(help: "Add a timeline to the JSON report: per slot of this length (e.g. 100ms), requests completed OK, failed, and the slowest.")
    var timeline: Duration?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var caller: CallerOptions

    func validate() throws {
        if connections < 1 || connections > 1024 { throw ValidationError("--connections must be in 1...1024") }
        if depth < 1 || depth > 4096 { throw ValidationError("--depth must be in 1...4096") }
        if let rate, !(rate > 0 && rate <= 10_000_000) { throw ValidationError("--rate must be > 0 and at most 10,000,000 per second") }
        if duration <= .zero { throw ValidationError("--duration must be > 0") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if timeout <= .zero { throw ValidationError("--timeout must be > 0") }
        if maxPrompts < 1 { throw ValidationError("--max-prompts must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
        if vectors && method != .route { throw ValidationError("--vectors applies to --method route") }
        if let timeline, timeline < .milliseconds(1) { throw ValidationError("--timeline must be at least 1ms") }
    }

    func run() async throws {
        let plan = LoadPlan(
            target: target, method: rpcName, bodies: try bodies(),
            mode: rate.map { .openLoop(rate: $0, connections: connections) } ?? .closedLoop(connections: connections, depth: depth),
            stop: requests.map { .requests($0) } ?? .after(duration), warmup: warmup, timeout: timeout, authToken: caller.token,
            timelineSlot: timeline)
        let generator = LoadGenerator(plan: plan)
        do {
            try await generator.checkReachable()
        } catch {
            throw LoadFailure("\(error)")
        }
        let progress = Task { await Self.showProgress(generator) }
        await generator.run()
        progress.cancel()
        FileHandle.standardError.write(Data("\n".utf8))
        let report = LoadReport(generator, seconds: min(generator.measuredSeconds, requests == nil ? duration.seconds : .infinity))
        print(json ? report.json : report.text)
        if report.requests == 0 { throw LoadFailure("no request was recorded (is --warmup longer than the run?)") }
    }

    var rpcName: String {
        switch method {
        case .route: Methods.route.name
        case .embed: Methods.embed.name
        case .complete: Methods.complete.name
        case .health: Methods.health.name
        }
    }

    /// The serialized requests, built once.
    func bodies() throws -> [[UInt8]] {
        if method == .health { return [HealthRequest().serializedBytes()] }
        let texts: [String]
        do {
            texts = Array(try PromptFile.prompts(prompts).prefix(maxPrompts * batch))
        } catch {
            throw LoadFailure("--prompts: \(error)")
        }
        let tradeoff = objective.tradeoff
        switch method {
        case .route where vectors:
            let embedder = HashEmbedder(settings: .init(dimension: dimension))
            return texts.map { RouteRequest(embedding: embedder.embed($0), tradeoff: tradeoff).serializedBytes() }
        case .route:
            return texts.map { RouteRequest(prompt: $0, tradeoff: tradeoff).serializedBytes() }
        case .embed:
            return stride(from: 0, to: texts.count, by: batch).map {
                EmbedRequest(texts: Array(texts[$0..<min(texts.count, $0 + batch)])).serializedBytes()
            }
        case .complete:
            return texts.map { CompleteRequest(prompt: $0, model: model, tradeoff: tradeoff).serializedBytes() }
        case .health:
            return [HealthRequest().serializedBytes()]
        }
    }

    /// A progress line on stderr, redrawn every second: elapsed time, rate, errors.
    static func showProgress(_ generator: LoadGenerator) async {
        var last = (time: 0.0, count: 0)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let (count, failed) = generator.recorder.counts
            let now = generator.elapsed
            let rate = Double(count - last.count) / max(1e-9, now - last.time)
            last = (now, count)
            let line = String(format: "\r%6.1f s  %9.0f req/s  %d recorded  %d errors   ", now, rate, count, failed)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// A run that cannot start or recorded nothing: one line, exit status 1.
struct LoadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
