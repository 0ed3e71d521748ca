import Logging
import NIOPosix
import RPC
import RouterCore
import Synchronization
import Wire

/// The router service's methods: Route (a prompt or a vector in, the model to call out) and
/// Reload (swap the router model atomically).
///
/// Route with a precomputed vector never suspends, so it is answered where it arrived
/// (microseconds); a prompt is embedded first (through `embedder`). Bad requests are
/// INVALID_ARGUMENT before any embedding is paid for.
public struct RouteHandler: Sendable {
    public let state: RouterState
    public let embedder: any PromptEmbedder
    /// The alpha of requests that set no trade-off.
    public let defaultAlpha: Double
    /// The longest wait for the embedder when the request's own deadline is later (or absent).
    public let embedTimeout: Duration
    /// Names this replica in responses ("host:port" unless set otherwise).
    public let replica: ReplicaName
    private let routed: ModelCounters

    public init(
        state: RouterState, embedder: any PromptEmbedder, defaultAlpha: Double = 0.5,
        embedTimeout: Duration = .seconds(5), replica: ReplicaName = ReplicaName()
    ) {
        self.state = state
        self.embedder = embedder
        self.defaultAlpha = defaultAlpha
        self.embedTimeout = embedTimeout
        self.replica = replica
        self.routed = ModelCounters(label: "switchyard_routed_requests_total", service: "router")
    }

    /// Adds Route and Reload to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.route) { request, context in
            let loaded = state.current
            let plan = try plan(request, loaded)
            let vector = request.embedding.isEmpty
                ? try await embedder.embed(request.prompt, for: loaded.model.embedder, timeout: context.timeout(atMost: embedTimeout))
                : request.embedding
            return try decide(plan, vector, loaded)
        }
        handlers.register(Methods.reload) { request, context in
            do {
                let path = request.path.isEmpty ? nil : request.path
                let (previous, current) = try await NIOThreadPool.singleton.runIfActive { try state.reload(from: path) }
                context.logger.notice(
                    "reloaded router model",
                    metadata: ["path": "\(current.path)", "version": "\(current.version)", "previous": "\(previous.version)"])
                return ReloadResponse(version: current.version, previousVersion: previous.version)
            } catch let error as RouterLoadError {
                throw RPCError(error.missing ? .notFound : .invalidArgument, "\(error); still serving \(state.current.version)")
            }
        }
    }

    /// What a request asks for, checked against the model: the objective and the allowed models.
    struct Plan {
        var objective: Objective
        var allowed: [Int]?
    }

    func plan(_ request: RouteRequest, _ loaded: LoadedRouter) throws -> Plan {
        guard !request.embedding.isEmpty || !request.prompt.isEmpty else {
            throw RPCError(.invalidArgument, "Route needs a prompt or an embedding")
        }
        if !request.embedding.isEmpty, request.embedding.count != loaded.model.dimension {
            throw RPCError(
                .invalidArgument,
                "embedding has \(request.embedding.count) dimensions, router model \(loaded.version) expects \(loaded.model.dimension)")
        }
        let objective: Objective = switch request.tradeoff {
        case .alpha(let alpha): .tradeoff(alpha: alpha)
        case .maxCostUSD(let maxCost): .budget(maxCostUSD: maxCost)
        case nil: .tradeoff(alpha: defaultAlpha)
        }
        do { try objective.validate() } catch { throw RPCError(.invalidArgument, "\(error)") }
        var allowed: [Int]?
        if !request.allowedModels.isEmpty {
            allowed = try request.allowedModels.map { name in
                guard let index = loaded.modelIndex[name] else {
                    throw RPCError(
                        .invalidArgument,
                        "unknown model \"\(name)\"; router model \(loaded.version) knows: \(loaded.model.models.joined(separator: ", "))")
                }
                return index
            }
        }
        return Plan(objective: objective, allowed: allowed)
    }

    func decide(_ plan: Plan, _ vector: [Float], _ loaded: LoadedRouter) throws -> RouteResponse {
        let decision: ClusterRouter.Decision
        do {
            decision = try loaded.router.route(vector, objective: plan.objective, allowed: plan.allowed)
        } catch {
            throw RPCError(.invalidArgument, "\(error)")
        }
        let names = loaded.model.models
        let chosen = decision.model
        // Best first; the chosen model leads even on a tie or when the budget forced a cheaper pick.
        let ranked = decision.scores.indices.filter { decision.scores[$0] != nil }.sorted { a, b in
            if (a == chosen) != (b == chosen) { return a == chosen }
            return decision.scores[a]! > decision.scores[b]!
        }
        let scores = ranked.map { m in
            ModelScore(
                model: names[m], score: decision.scores[m]!, predictedQuality: decision.estimates.quality[m],
                predictedCostUSD: decision.estimates.cost[m])
        }
        routed.increment(names[decision.model])
        var alpha = 0.0
        if case .tradeoff(let value) = plan.objective { alpha = value }
        return RouteResponse(
            model: names[decision.model], scores: scores,
            clusters: decision.clusters.map {
                ClusterHit(cluster: UInt32($0.cluster), distance: $0.distance, weight: Float($0.weight))
            },
            routerVersion: loaded.version, alpha: alpha, replica: replica.value)
    }

    /// The router's part of Status.
    public var status: RouterStatus {
        let loaded = state.current
        var status = RouterStatus()
        status.routerVersion = loaded.version
        status.clusters = UInt32(loaded.model.clusterCount)
        status.dimension = UInt32(loaded.model.dimension)
        status.models = loaded.model.models
        status.embedder = "\(loaded.model.embedder.kind):\(loaded.model.embedder.dimension) via \(embedder.source)"
        status.reloads = state.reloads
        status.modelPath = loaded.path
        return status
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
