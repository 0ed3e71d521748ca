import Logging
import NIOPosix
import RPC
import RouterCore
import Synchronization
import Wire

/// The router service's methods: Route (a prompt or a vector in, the model to call out) and
/// Reload (swap the router file atomically).
///
/// Route with a precomputed vector never suspends, so it is answered where it arrived
/// (microseconds); so is a prompt an in-process embedder embeds at once; any other prompt is
/// embedded first (through `embedder`, awaited in a task). Bad requests are
/// INVALID_ARGUMENT before any embedding is paid for; a router the file does not have is
/// NOT_FOUND; a budget or latency cap no model meets is FAILED_PRECONDITION naming the cheapest
/// (or fastest) option.
public struct RouteHandler: Sendable {
    public let state: RouterState
    public let embedder: any PromptEmbedder
    /// The alpha of requests that set no trade-off.
    public let defaultAlpha: Double
    /// The longest wait for the embedder when the request's own deadline is later (or absent).
    public let embedTimeout: Duration
    /// Typical milliseconds per model, for max_latency_ms requests (models not named: no limit).
    public let latencyMs: [String: Double]
    /// Names this replica in responses ("host:port" unless set otherwise).
    public let replica: ReplicaName
    /// Reloads the router file (Reload, and SIGHUP through `ReloadOnHangup`).
    public let reloader: ModelReloader
    /// The most UTF-8 bytes of a prompt (INVALID_ARGUMENT beyond).
    public static let maxPromptBytes = 256 << 10
    private let routed: ModelCounters
    /// Draws for exploration (the coin of explore_share, and Thompson draws).
    private let explorer = Explorer()

    public init(
        state: RouterState, embedder: any PromptEmbedder, defaultAlpha: Double = 0.5, embedTimeout: Duration = .seconds(5),
        latencyMs: [String: Double] = [:], replica: ReplicaName = ReplicaName()
    ) {
        self.state = state
        self.embedder = embedder
        self.reloader = ModelReloader(state: state, embedder: embedder, checkTimeout: embedTimeout)
        self.defaultAlpha = defaultAlpha
        self.embedTimeout = embedTimeout
        self.latencyMs = latencyMs
        self.replica = replica
        self.routed = ModelCounters(label: "switchyard_routed_requests_total", service: "router")
    }

    /// Adds Route and Reload to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        // A vector, or a prompt embedded at once, is answered on the event loop, no task; any
        // other prompt is embedded first.
        handlers.register(Methods.route, answering: { request, context -> Answer<RouteResponse> in
            let loaded = state.current
            let plan = try plan(request, loaded)
            let vector = request.embedding.isEmpty
                ? try embedder.embedAtOnce(request.prompt, for: loaded.embedder)?.values  // in-process: no task
                : request.embedding
            if let vector {
                return .now(try decide(
                    plan, RoutingQuery(embedding: vector, length: request.prompt.utf8.count), loaded, includeEmbedding: request.includeEmbedding))
            }
            return .later {
                let vector = try await embedder.embed(request.prompt, for: loaded.embedder, timeout: context.timeout(atMost: embedTimeout))
                var response = try decide(
                    plan, RoutingQuery(embedding: vector.values, length: request.prompt.utf8.count), loaded,
                    includeEmbedding: request.includeEmbedding)
                response.embeddingFallback = vector.fallback ?? ""
                return response
            }
        })
        handlers.register(Methods.reload) { request, context in
            let (previous, current) = request.routerFile.isEmpty
                ? try await reloader.reload(from: request.path.isEmpty ? nil : request.path)
                : try await reloader.reload(bytes: request.routerFile)
            // A learner re-sends the version a replica serves every interval: not news.
            if previous.version != current.version || request.routerFile.isEmpty {
                context.logger.notice(
                    "reloaded router file",
                    metadata: ["path": "\(current.path)", "version": "\(current.version)", "previous": "\(previous.version)"])
            }
            return ReloadResponse(version: current.version, previousVersion: previous.version)
        }
    }

    /// What a request asks for, checked against the file: the router, the objective, the limits.
    struct Plan {
        var entry: RouterBundle.Entry
        var objective: Objective
        var constraints: RoutingConstraints
        /// The most share of decisions that may explore (RouteRequest.explore_share).
        var exploreShare: Double
    }

    func plan(_ request: RouteRequest, _ loaded: LoadedRouter) throws -> Plan {
        guard !request.embedding.isEmpty || !request.prompt.isEmpty else {
            throw RPCError(.invalidArgument, "Route needs a prompt or an embedding")
        }
        guard request.prompt.utf8.count <= Self.maxPromptBytes else {
            throw RPCError(
                .invalidArgument, "the prompt has \(request.prompt.utf8.count) bytes, over the limit of \(Self.maxPromptBytes)")
        }
        let dimension = loaded.embedder.dimension
        if !request.embedding.isEmpty, request.embedding.count != dimension {
            throw RPCError(
                .invalidArgument,
                "embedding has \(request.embedding.count) dimensions, router file \(loaded.version) expects \(dimension)")
        }
        let entry = try Self.mapped { try loaded.bundle.entry(request.router) }
        let objective = Objective(request.tradeoff, defaultAlpha: defaultAlpha)
        try Self.mapped { try objective.validate() }
        var allowed: [Int]?
        if !request.allowedModels.isEmpty {
            allowed = try request.allowedModels.map { name in
                guard let index = loaded.modelIndex[name] else {
                    throw RPCError(
                        .invalidArgument,
                        "unknown model \"\(name)\"; router file \(loaded.version) knows: \(loaded.models.joined(separator: ", "))")
                }
                return index
            }
        }
        guard request.maxLatencyMs >= 0, request.maxLatencyMs.isFinite else {
            throw RPCError(.invalidArgument, "max_latency_ms \(request.maxLatencyMs) must be a finite number >= 0")
        }
        // Latencies the gateway measured win over the configured ones, model by model.
        let learned = Dictionary(request.modelLatencies.filter { $0.p50Ms > 0 }.map { ($0.model, $0.p50Ms) }) { a, _ in a }
        let constraints = RoutingConstraints(
            allowed: allowed, maxLatencyMs: request.maxLatencyMs > 0 ? request.maxLatencyMs : nil,
            latencyMs: loaded.models.map { learned[$0] ?? latencyMs[$0] })
        guard (0...1).contains(request.exploreShare) else {
            throw RPCError(.invalidArgument, "explore_share \(request.exploreShare) must be within [0, 1]")
        }
        return Plan(entry: entry, objective: objective, constraints: constraints, exploreShare: request.exploreShare)
    }

    func decide(_ plan: Plan, _ query: RoutingQuery, _ loaded: LoadedRouter, includeEmbedding: Bool = false) throws -> RouteResponse {
        let router = plan.entry.router
        let decider = Decider(router)
        var (estimate, decision) = try Self.mapped {
            let estimate = try router.estimate(query)
            return (estimate, try decider.decide(
                estimate, objective: plan.objective, constraints: plan.constraints, calibration: plan.entry.calibration))
        }
        // Exploring: the same decision on a Thompson draw (same objective, same limits).
        var explored = false
        if plan.exploreShare > 0, let learned = router as? ClusterRouter, learned.model.strength != nil,
            let drawn = explorer.draw(share: plan.exploreShare, { learned.explored(estimate.estimates, estimate.clusters, using: &$0) }) {
            let draw = RouterEstimate(estimates: drawn, strongWinScore: estimate.strongWinScore, clusters: estimate.clusters)
            if let choice = try? decider.decide(draw, objective: plan.objective, constraints: plan.constraints),
                choice.model != decision.model {
                (decision, explored) = (choice, true)
            }
        }
        let names = loaded.models
        routed.increment(names[decision.model])
        var alpha = 0.0
        if case .tradeoff(let value) = plan.objective { alpha = value }
        return RouteResponse(
            model: names[decision.model],
            scores: decision.ranking.map { m in
                ModelScore(
                    model: names[m], score: decision.scores[m] ?? 0, predictedQuality: estimate.estimates.quality[m],
                    predictedCostUSD: estimate.estimates.cost[m])
            },
            clusters: estimate.clusters.map {
                ClusterHit(cluster: UInt32($0.cluster), distance: $0.distance, weight: Float($0.weight))
            },
            routerVersion: loaded.version, alpha: alpha, replica: replica.value, router: plan.entry.name,
            threshold: decision.threshold ?? 0, strongWinScore: estimate.strongWinScore,
            embedding: includeEmbedding ? query.embedding : [], explored: explored)
    }

    /// Runs `body`, turning routing errors into the statuses a caller is told.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RoutingError {
            switch error {
            case .invalid(let reason): throw RPCError(.invalidArgument, reason)
            case .unaffordable(let reason): throw RPCError(.failedPrecondition, reason)
            case .notFound(let reason): throw RPCError(.notFound, reason)
            case .badModel: throw RPCError(.internal, "\(error)")
            }
        }
    }

    /// The router's part of Status.
    public var status: RouterStatus {
        let loaded = state.current
        let entry = try? loaded.bundle.entry()
        return RouterStatus(
            routerVersion: loaded.version,
            clusters: UInt32((entry?.router as? ClusterRouter)?.model.clusterCount ?? 0),
            dimension: UInt32(loaded.embedder.dimension), models: loaded.models,
            embedder: "\(loaded.embedder.kind):\(loaded.embedder.dimension) via \(embedder.source)", reloads: state.reloads,
            modelPath: loaded.path, routers: loaded.bundle.entries.map(\.name), defaultRouter: loaded.bundle.defaultRouter,
            loadedMs: loaded.loadedMs)
    }
}

/// The randomness of exploration: a fast generator behind a lock (taken only by requests that
/// allow exploring), seeded from the system's.
final class Explorer: Sendable {
    private let generator = Mutex(SeededGenerator(seed: UInt64.random(in: .min ... .max)))

    /// With probability `share`, `body`'s draw; nil otherwise.
    func draw<T>(share: Double, _ body: (inout SeededGenerator) -> T?) -> T? {
        generator.withLock { generator in generator.nextUnit() < share ? body(&generator) : nil }
    }
}

/// The name a replica reports in its responses; set once the address is known.
public final class ReplicaName: Sendable {
    private let name = Mutex("")

    public init(_ value: String = "") { name.withLock { $0 = value } }

    public var value: String {
        get { name.withLock { $0 } }
        set { name.withLock { $0 = newValue } }
    }
}
