import Logging
import RPC
import Store
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
    /// Which turns of a conversation the router reads.
    public let routeOn: RoutingText
    /// Keeps each answer's record and learns the models' latencies.
    public let recorder: OutcomeRecorder
    /// Where keys' budgets are decided (the ledger's memory unless shared through PostgreSQL).
    public let budgets: any BudgetBook

    public init(
        upstreams: [any Upstream], router: (any RPCCaller)?, maxAttempts: Int = 3, routeTimeout: Duration = .seconds(2),
        ledger: CostLedger = CostLedger(), routeOn: RoutingText = .lastUserTurn, recorder: OutcomeRecorder = OutcomeRecorder(),
        budgets: (any BudgetBook)? = nil
    ) {
        self.routeOn = routeOn
        self.recorder = recorder
        self.budgets = budgets ?? ledger
        self.upstreams = Dictionary(uniqueKeysWithValues: upstreams.map { ($0.configuration.name, $0) })
        self.router = router
        self.maxAttempts = maxAttempts
        self.routeTimeout = routeTimeout
        self.ledger = ledger
    }

    /// Adds Complete to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.complete) { request, context in
            guard !request.prompt.isEmpty || !request.messages.isEmpty else {
                throw RPCError(.invalidArgument, "Complete needs a prompt or messages")
            }
            let routed = request.model.isEmpty || request.model == "auto"
            if !routed, upstreams[request.model] == nil { throw unknownModel(request.model) }
            for name in request.allowedModels where upstreams[name] == nil { throw unknownModel(name) }
            // A conversation or extra parameters go to upstreams as a chat request.
            let chat = request.messages.isEmpty && request.parametersJson.isEmpty ? nil : try ChatRequest(complete: request, routeOn: routeOn)
            var outcome = RequestOutcome(key: nil, routingText: chat?.routingText ?? request.prompt)
            // A caller's trace goes on with this gateway's request id (an untraced call stays untraced: it costs nothing).
            outcome.trace = context.trace.map { TraceContext(traceparent: $0.traceparent, tracestate: $0.tracestate, requestID: outcome.id) }
            guard let trace = outcome.trace else { return try await complete(request, routed: routed, chat: chat, context: context, outcome: outcome) }
            return try await Tracing.$current.withValue(trace) { [outcome] in
                try await complete(request, routed: routed, chat: chat, context: context, outcome: outcome)
            }
        }
    }

    /// Complete once the request is checked: routed or named, answered, recorded.
    private func complete(
        _ request: CompleteRequest, routed: Bool, chat: ChatRequest?, context: ServerContext, outcome: RequestOutcome
    ) async throws -> CompleteResponse {
        var outcome = outcome
        do {
            var models = [request.model]
            if routed {
                let routing = RouteRequest(
                    prompt: outcome.routingText, tradeoff: request.tradeoff, allowedModels: request.allowedModels,
                    router: request.router, maxLatencyMs: request.maxLatencyMs)
                models = try candidates(try await self.route(routing, deadline: context.deadline, for: &outcome))
            }
            var response = try await call(models, request, chat: chat, context: context, outcome: &outcome)
            response.requestID = outcome.id
            if let route = outcome.route {
                response.routerVersion = route.routerVersion
                ledger.routed(fellBack: response.model != route.model)
            }
            if recorder.judges(outcome) { outcome.answerText = response.text }
            await recorder.finish(outcome)
            return response
        } catch {
            outcome.status = RPCError(error).code
            await recorder.finish(outcome)
            throw error
        }
    }

    /// The gateway's part of Status: spend and usage per model, the latencies learned, the store.
    public var status: GatewayStatus {
        var status = ledger.status
        status.latencies = recorder.latencies.latencies
        if let store = recorder.store {
            let s = store.status
            status.store = StoreStatus(
                location: s.location, written: UInt64(s.written), batches: UInt64(s.batches), pending: UInt32(clamping: s.pending),
                refused: UInt64(s.refused), failed: UInt64(s.failed), spilled: s.spilled, meanCommitMs: s.meanCommitMs,
                recordsLost: recorder.recordsLost)
        }
        if let judge = recorder.judge { status.judge = judge.status }
        return status
    }

    private func unknownModel(_ name: String) -> RPCError {
        RPCError(.invalidArgument, "unknown model \"\(name)\"; configured: auto, \(upstreams.keys.sorted().joined(separator: ", "))")
    }

    /// The router's answer to `request`, waiting at most the route timeout (and never past
    /// `deadline`): with the routed vector when answers' embeddings are recorded, and the
    /// latencies learned from traffic when the request caps latency.
    func route(_ request: RouteRequest, deadline: ContinuousClock.Instant?, explore: Bool = true) async throws -> RouteResponse {
        try await route(request, deadline: deadline, exploration: recorder.exploration.choice(optedOut: !explore))
    }

    /// The router's answer as `route` gets it, kept in `outcome` with what decided it.
    func route(
        _ request: RouteRequest, deadline: ContinuousClock.Instant?, explore: Bool = true, for outcome: inout RequestOutcome
    ) async throws -> RouteResponse {
        let exploration = recorder.exploration.choice(optedOut: !explore)
        let route = try await route(request, deadline: deadline, exploration: exploration)
        outcome.route = route
        outcome.decision = OutcomeRecord.Decision(route: route, request: request, exploration: exploration)
        return route
    }

    private func route(
        _ request: RouteRequest, deadline: ContinuousClock.Instant?, exploration: (share: Double, reason: ExplorationBudget.Reason)
    ) async throws -> RouteResponse {
        guard let router else { throw RPCError(.failedPrecondition, "model \"auto\" needs a router (start the gateway with --router)") }
        var request = request
        request.exploreShare = exploration.share
        request.includeEmbedding = recorder.wantsEmbedding
        if request.maxLatencyMs > 0 { request.modelLatencies = recorder.latencies.latencies }
        do {
            return try await router.call(Methods.route, request, timeout: ServerContext.timeout(atMost: routeTimeout, before: deadline))
        } catch let error as RPCError {
            throw RPCError(error.code, "router \(router.target): \(error.message)")
        }
    }

    /// The models of the router's ranking this gateway has upstreams for, in order, at most
    /// `maxAttempts`. The ranking holds only the allowed models that fit the request's budget,
    /// so falling back never leaves them.
    func candidates(_ route: RouteResponse) throws -> [String] {
        let ranking = route.scores.map(\.model)
        let candidates = ranking.filter { upstreams[$0] != nil }
        guard !candidates.isEmpty else {
            throw RPCError(.failedPrecondition, "the router ranked \(ranking.joined(separator: ", ")); none has an upstream here "
                + "(configured: \(upstreams.keys.sorted().joined(separator: ", "))): name upstreams after the router's models")
        }
        return Array(candidates.prefix(maxAttempts))
    }

    /// The models the router ranks, and those of them without an upstream here, from one Route
    /// of a probe prompt; throws what the router answered when it cannot say.
    public func rankedModelsWithoutUpstream() async throws -> (ranked: [String], missing: [String]) {
        let ranking = try await route(RouteRequest(prompt: "Which models do you rank?"), deadline: nil).scores.map(\.model)
        return (ranking, ranking.filter { upstreams[$0] == nil })
    }

    /// Calls `models` in order until one answers (with `chat` when set: a conversation or extra
    /// parameters); UNAVAILABLE with every failure when none does.
    func call(
        _ models: [String], _ request: CompleteRequest, chat: ChatRequest?, context: ServerContext, outcome: inout RequestOutcome
    ) async throws -> CompleteResponse {
        let started = ContinuousClock.now
        var attempts: [Attempt] = []
        defer { outcome.attempts = attempts }
        let answered = try await firstAnswer(
            models, deadline: context.deadline, logger: Tracing.logger(context.logger, outcome.trace), attempts: &attempts
        ) { upstream, timeout in
            guard let chat else {
                return try await upstream.complete(request.prompt, maxTokens: request.maxTokens, timeout: timeout)
            }
            let reply = try await upstream.chat(chat, timeout: timeout)
            return UpstreamAnswer(
                text: reply.text, inputTokens: reply.inputTokens, outputTokens: reply.outputTokens, tokensEstimated: reply.tokensEstimated)
        }
        let answer = answered.value
        let cost = book(answered.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, key: nil)
        outcome.answered = .init(
            model: answered.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
            tokensEstimated: answer.tokensEstimated, costUSD: cost)
        return CompleteResponse(
            text: answer.text, model: answered.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
            tokensEstimated: answer.tokensEstimated, costUSD: cost, latencyMs: Self.milliseconds(since: started),
            attempts: attempts, recordedScore: answer.recordedScore)
    }

    /// An upstream's answer and which model gave it.
    struct Answered<Value> {
        var value: Value
        var model: String
    }

    /// Calls `models` in order with `ask` until one answers, adding every call to `attempts`;
    /// each call waits at most its upstream's timeout and never past `deadline`. A failure in
    /// which the request itself is wrong (INVALID_ARGUMENT, or an upstream's 4xx refusal) is
    /// final; any other moves on to the next model. UNAVAILABLE (DEADLINE_EXCEEDED when only the deadline stopped them) with
    /// every failure when none answers. The caller books the answer's cost (`book`). `logger`
    /// is made only when a failure is logged (a request's logger costs more than a replayed
    /// answer).
    func firstAnswer<Value>(
        _ models: [String], deadline: ContinuousClock.Instant?, logger: @autoclosure () -> Logger, attempts: inout [Attempt],
        _ ask: (any Upstream, Duration) async throws -> Value
    ) async throws -> Answered<Value> {
        for name in models {
            let upstream = upstreams[name]!
            let timeout = ServerContext.timeout(atMost: .nanoseconds(Int64(upstream.configuration.timeoutSeconds * 1e9)), before: deadline)
            guard timeout > .zero else { break }
            let attemptStart = ContinuousClock.now
            do {
                let value = try await ask(upstream, timeout)
                attempts.append(Attempt(model: name, status: .ok, latencyMs: Self.milliseconds(since: attemptStart)))
                return Answered(value: value, model: name)
            } catch {
                if Task.isCancelled { throw RPCError(.cancelled, "cancelled") }
                let failure = RPCError(error)
                ledger.failed(name)
                attempts.append(Attempt(model: name, status: failure.code, errorMessage: failure.message, latencyMs: Self.milliseconds(since: attemptStart)))
                logger().warning("upstream failed", metadata: ["model": "\(name)", "error": "\(failure)"])
                if failure.code == .invalidArgument || failure.cause is UpstreamRefusal { throw failure }
            }
        }
        // An upstream's error names it already: said once.
        let tried = attempts.map { "\($0.model): \($0.status) \($0.errorMessage.dropPrefix("\($0.model): "))" }.joined(separator: "; ")
        // No attempt at all means the caller's deadline had passed: that, not the upstreams, is why.
        let code: StatusCode = attempts.allSatisfy { $0.status == .deadlineExceeded } ? .deadlineExceeded : .unavailable
        throw RPCError(code, "no upstream answered (tried \(tried.isEmpty ? "none: deadline passed" : tried))")
    }

    /// Books an answer of `model` with these token counts in the ledger (and against `key`'s
    /// daily spend); returns its cost in dollars.
    func book(_ model: String, inputTokens: UInt32, outputTokens: UInt32, key: String?, settling hold: BudgetHold? = nil) -> Double {
        let cost = upstreams[model]!.configuration.cost(inputTokens: inputTokens, outputTokens: outputTokens)
        ledger.answered(by: model, inputTokens: inputTokens, outputTokens: outputTokens, cost: cost, key: key, settling: hold)
        return cost
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double { start.duration(to: .now).seconds * 1000 }
}


extension String {
    /// The string without `prefix` when it starts with it.
    func dropPrefix(_ prefix: String) -> Substring { hasPrefix(prefix) ? dropFirst(prefix.count) : self[...] }
}
