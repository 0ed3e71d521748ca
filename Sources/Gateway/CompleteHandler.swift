import Logging
import RPC
import Wire

/// The Complete method. Model "auto" (or empty) asks the router (through the coordinator) for a
/// ranking and calls the models in that order until one answers; a named model is called
/// directly. Every upstream call made is reported in `attempts`, and every answer's cost is
/// booked in the ledger.
public struct CompleteHandler: Sendable {
    /// Configured upstreams by name.
    public let upstreams: [String: any Upstream]
    /// Asks for the route of "auto" requests; nil when the gateway has no router.
    public let router: (any RPCCaller)?
    /// Models tried per "auto" request (the router's first choice and its fallbacks).
    public let maxAttempts: Int
    /// The longest wait for the router's decision.
    public let routeTimeout: Duration
    public let ledger: CostLedger

    public init(
        upstreams: [any Upstream], router: (any RPCCaller)?, maxAttempts: Int = 3, routeTimeout: Duration = .seconds(2),
        ledger: CostLedger = CostLedger()
    ) {
        self.upstreams = Dictionary(uniqueKeysWithValues: upstreams.map { ($0.configuration.name, $0) })
        self.router = router
        self.maxAttempts = maxAttempts
        self.routeTimeout = routeTimeout
        self.ledger = ledger
    }

    /// Adds Complete to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.complete) { request, context in
            guard !request.prompt.isEmpty else { throw RPCError(.invalidArgument, "Complete needs a prompt") }
            let routed = request.model.isEmpty || request.model == "auto"
            if !routed, upstreams[request.model] == nil { throw unknownModel(request.model) }
            for name in request.allowedModels where upstreams[name] == nil { throw unknownModel(name) }
            if routed { return try await complete(routing: request, context: context) }
            return try await call([request.model], request, context: context)
        }
    }

    private func unknownModel(_ name: String) -> RPCError {
        RPCError(.invalidArgument, "unknown model \"\(name)\"; configured: auto, \(upstreams.keys.sorted().joined(separator: ", "))")
    }

    /// "auto": the router's ranking, restricted to configured upstreams, tried in order.
    func complete(routing request: CompleteRequest, context: ServerContext) async throws -> CompleteResponse {
        guard let router else { throw RPCError(.failedPrecondition, "model \"auto\" needs a router (start the gateway with --router)") }
        let route: RouteResponse
        do {
            route = try await router.call(
                Methods.route, RouteRequest(prompt: request.prompt, tradeoff: request.tradeoff, allowedModels: request.allowedModels),
                timeout: context.timeout(atMost: routeTimeout))
        } catch let error as RPCError {
            throw RPCError(error.code, "router \(router.target): \(error.message)")
        }
        // The router ranks every allowed model, its choice first.
        let ranking = route.scores.map(\.model)
        let candidates = ranking.filter { upstreams[$0] != nil }
        guard !candidates.isEmpty else {
            throw RPCError(.failedPrecondition, "the router ranked \(ranking.joined(separator: ", ")); none has an upstream here")
        }
        var response = try await call(Array(candidates.prefix(maxAttempts)), request, context: context)
        response.routerVersion = route.routerVersion
        ledger.routed(fellBack: response.model != route.model)
        return response
    }

    /// Calls `models` in order until one answers; UNAVAILABLE with every failure when none does.
    func call(_ models: [String], _ request: CompleteRequest, context: ServerContext) async throws -> CompleteResponse {
        var attempts: [Attempt] = []
        let started = ContinuousClock.now
        for name in models {
            let upstream = upstreams[name]!
            let timeout = context.timeout(atMost: .nanoseconds(Int64(upstream.configuration.timeoutSeconds * 1e9)))
            guard timeout > .zero else { break }
            let attemptStart = ContinuousClock.now
            do {
                let answer = try await upstream.complete(request.prompt, maxTokens: request.maxTokens, timeout: timeout)
                attempts.append(Attempt(model: name, status: .ok, latencyMs: Self.milliseconds(since: attemptStart)))
                let cost = upstream.configuration.cost(inputTokens: answer.inputTokens, outputTokens: answer.outputTokens)
                ledger.answered(by: name, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, cost: cost)
                return CompleteResponse(
                    text: answer.text, model: name, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
                    tokensEstimated: answer.tokensEstimated, costUSD: cost, latencyMs: Self.milliseconds(since: started),
                    attempts: attempts, recordedScore: answer.recordedScore)
            } catch {
                if Task.isCancelled { throw RPCError(.cancelled, "cancelled") }
                let failure = RPCError(error)
                ledger.failed(name)
                attempts.append(Attempt(model: name, status: failure.code, errorMessage: failure.message, latencyMs: Self.milliseconds(since: attemptStart)))
                context.logger.warning("upstream failed", metadata: ["model": "\(name)", "error": "\(failure)"])
            }
        }
        let tried = attempts.map { "\($0.model): \($0.status) \($0.errorMessage)" }.joined(separator: "; ")
        // No attempt at all means the caller's deadline had passed: that, not the upstreams, is why.
        let code: StatusCode = attempts.allSatisfy { $0.status == .deadlineExceeded } ? .deadlineExceeded : .unavailable
        throw RPCError(code, "no upstream answered (tried \(tried.isEmpty ? "none: deadline passed" : tried))")
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double { start.duration(to: .now).seconds * 1000 }
}
