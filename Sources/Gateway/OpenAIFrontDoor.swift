import Foundation
import HTTPKit
import Logging
import NIOCore
import NIOHTTP1
import RPC
import Store
import Wire

/// The gateway's OpenAI-compatible HTTP front door, so applications and unmodified OpenAI SDKs
/// can call Switchyard: `POST /v1/chat/completions` (whole or `stream: true`) and `GET /v1/models`.
///
/// `model` is a configured upstream (called directly), `auto` (routed with the router's default
/// trade-off) or `switchyard:<knob>=<value>` with knob `alpha`, `max_cost` (dollars), `lambda`,
/// `threshold`, `strong_share` (routed with that trade-off), and `explore=0` after a comma to keep the
/// request from exploring (`switchyard:alpha=0.9,explore=0`). A routed request is ranked by the
/// router on its last user turn (or the turns `CompleteHandler.routeOn` names) and tried down the ranking (only models allowed by the budget
/// are in it); the upstream gets the request as it came with only `model` replaced, and its
/// answer comes back as it came. Upstream 429, 5xx, timeouts and unreachable hosts fall back to
/// the next model (for a stream: until its first event arrives); a 4xx is the request's fault
/// and is answered as it is. Headers say what happened: `x-switchyard-model`,
/// `x-switchyard-router-version`, `x-switchyard-explored` (the router explored: a learned router's
/// Thompson draw chose the model), `x-switchyard-predicted-cost-usd`, `x-switchyard-cost-usd`
/// (for a stream, a closing `: switchyard-cost-usd=` comment instead), `x-switchyard-fallbacks`
/// (the models that failed first). Errors use OpenAI's shape, `{"error": {"message", "type",
/// "code"}}`, with the matching HTTP status; a stream that breaks after it began ends with an
/// error event.
///
/// With `keys`, every request needs `Authorization: Bearer <key>`, and a key's daily budget
/// bounds what its requests may cost: a request of a key with a budget holds the most it can
/// cost (`ChatRequest.mostCost`; one without `max_tokens` is sent with `budgetOutputTokens`)
/// while it runs, a routed one goes to the best model whose most fits what is left today, a named
/// one is refused when its most does not fit. So the key's spend never passes its budget, however
/// many of its requests run at once.
public struct OpenAIFrontDoor: Sendable {
    public let complete: CompleteHandler
    let keys: FrontDoorKeys?
    let feedback: FeedbackDesk
    let logger: Logger
    /// `max_tokens` given to a request of a key with a budget that sets none.
    public let budgetOutputTokens: UInt32
    private let metrics = FrontDoorMetrics()
    /// The dashboard's figures (`GET /dashboard/data`); nil: no dashboard.
    let dashboard: DashboardFeed?
    /// Explanations of recorded decisions (`GET /v1/decisions/{id}`).
    let decisions: DecisionDesk
    /// The gateway's admin token: it sees the dashboard and every decision (absent: any key does).
    let adminToken: String?

    /// The default of `budgetOutputTokens`.
    public static let defaultBudgetOutputTokens: UInt32 = 1024

    public init(
        complete: CompleteHandler, keys: FrontDoorKeys? = nil, budgetOutputTokens: UInt32 = defaultBudgetOutputTokens,
        dashboard: DashboardFeed? = nil, decisions: DecisionDesk = DecisionDesk(reader: nil), adminToken: String? = nil, logger: Logger
    ) {
        self.dashboard = dashboard
        self.decisions = decisions
        self.adminToken = adminToken
        self.complete = complete
        self.keys = keys
        self.budgetOutputTokens = budgetOutputTokens
        self.feedback = FeedbackDesk(store: complete.recorder.store, keys: keys)
        self.logger = logger
    }

    /// The header every answer carries its request id in (the chat completion's `id`, what feedback names).
    public static let requestIDHeader = "x-switchyard-request-id"

    /// Answers one HTTP request, counted on /metrics (`FrontDoorMetrics`).
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        let response = await respond(to: request)
        metrics.record(path: request.path, status: response.status, started: started)
        return response
    }

    private func respond(to request: HTTPRequest) async -> HTTPResponse {
        let path = request.path
        if path == "/dashboard" || path == "/dashboard/data" || path.hasPrefix(Self.decisionsPrefix) { return await look(request) }
        let key: FrontDoorKeys.Key?
        switch (request.method, path) {
        case (.GET, "/v1/models"), (.POST, "/v1/chat/completions"), (.POST, "/v1/feedback"):
            do {
                key = try authorize(request.headers)
            } catch {
                return Self.errorResponse(error)
            }
        case (_, "/v1/models"), (_, "/v1/chat/completions"), (_, "/v1/feedback"):
            return Self.errorResponse(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                                      message: "\(request.method) is not allowed on \(request.path)")
        default:
            return Self.errorResponse(status: .notFound, type: "invalid_request_error", code: "not_found",
                                      message: "no route \(request.path); this front door serves /v1/chat/completions, /v1/models, /v1/feedback, "
                                        + "/v1/decisions/{id} and /dashboard")
        }
        if request.method == .GET { return models() }
        if path == "/v1/feedback" { return await feedback.handle(request, key: key) }
        var chat: ChatRequest
        do {
            chat = try ChatRequest(body: request.body, routeOn: complete.routeOn)
        } catch {
            return Self.errorResponse(RPCError(error))
        }
        if key?.dailyBudgetUSD != nil { chat = chat.cappingOutput(at: budgetOutputTokens) }
        var outcome = RequestOutcome(key: key?.name, routingText: chat.routingText)
        let trace = TraceContext.arriving(
            traceparent: request.headers.first(name: "traceparent"), tracestate: request.headers.first(name: "tracestate"),
            requestID: outcome.id)
        outcome.trace = trace
        var response = await Tracing.$current.withValue(trace) { [outcome] in await complete(chat, key: key, outcome: outcome) }
        response.headers.add(name: Self.traceIDHeader, value: trace.traceID)
        return response
    }

    /// The header every answer of a chat completion carries its W3C trace id in.
    public static let traceIDHeader = "x-switchyard-trace-id"

    /// A chat completion, whole or streamed, run with its trace as `Tracing.current` (a stream's
    /// relaying too) so the calls it makes carry it on.
    private func complete(_ chat: ChatRequest, key: FrontDoorKeys.Key?, outcome: RequestOutcome) async -> HTTPResponse {
        var outcome = outcome
        do {
            let plan = try await plan(chat, key: key, outcome: &outcome)
            outcome.hold = plan.held
            if chat.stream {
                return HTTPResponse { [outcome, chat] responder in
                    try await Tracing.$current.withValue(outcome.trace) {
                        do {
                            try await streamCompletion(chat, plan, outcome: outcome, responder: responder)
                        } catch {
                            await release(plan)
                            throw error
                        }
                        await release(plan)
                    }
                }
            }
            let response = await chatCompletion(chat, plan, outcome: outcome)
            await release(plan)
            return response
        } catch {
            outcome.status = RPCError(error).code
            await complete.recorder.finish(outcome)
            var response = Self.errorResponse(RPCError(error))
            response.headers.add(name: Self.requestIDHeader, value: outcome.id)
            return response
        }
    }

    /// The key the request carries; nil when the front door has no keys. UNAUTHENTICATED
    /// without a known key.
    func authorize(_ headers: HTTPHeaders) throws(RPCError) -> FrontDoorKeys.Key? {
        guard let keys else { return nil }
        guard let key = keys.key(authorization: headers.first(name: "authorization")) else {
            throw RPCError(.unauthenticated, "a valid API key is needed: send Authorization: Bearer <key>")
        }
        return key
    }

    /// The configured upstreams, "auto" and the routed names.
    func models() -> HTTPResponse {
        let names = complete.upstreams.keys.sorted() + (complete.router == nil ? [] : ["auto", "switchyard:alpha=0.5"])
        let list: [String: Any] = [
            "object": "list",
            "data": names.map { ["id": $0, "object": "model", "created": 0, "owned_by": "switchyard"] },
        ]
        return Self.json(list)
    }

    /// Which models to try, in order, and why.
    struct Plan {
        var models: [String]
        /// The router's answer, for routed requests.
        var route: RouteResponse?
        /// The key that pays.
        var key: FrontDoorKeys.Key?
        /// What the key may still spend today; nil without a budget.
        var remainingUSD: Double?
        /// What this request holds of the key's budget while it runs.
        var held: BudgetHold?

        /// What the key has left once this request spent `spent`: what it had when the request
        /// began (less its other requests' holds then) less `spent`; nil without a budget.
        func left(after spent: Double) -> Double? {
            remainingUSD.map { max(0, $0 - spent) }
        }
    }

    /// The models to try for `request`: the router's ranking (or the named model), keeping only
    /// those on which the most the request can cost fits what the key has left today; the largest
    /// of those is held from the key's budget until the request ends (`release`), so requests in
    /// flight together stay within it. RESOURCE_EXHAUSTED when none fits.
    func plan(_ request: ChatRequest, key: FrontDoorKeys.Key?, outcome: inout RequestOutcome) async throws -> Plan {
        let budget = key?.dailyBudgetUSD
        var remaining: Double?
        if let key, let budget { remaining = try await complete.budgets.left(key: key.name, budget: budget) }
        if let remaining, let key, remaining <= BudgetSlack.dollars {
            throw Self.overBudget(key, remaining: remaining, why: "it has spent its daily budget")
        }
        var plan: Plan
        var cost = 0.0
        switch try Self.choice(request.model) {
        case .routed(let tradeoff, let explore):
            let route = try await complete.route(
                RouteRequest(prompt: request.routingText, tradeoff: tradeoff), deadline: nil, explore: explore, for: &outcome)
            plan = Plan(models: try complete.candidates(route), route: route, key: key, remainingUSD: remaining)
            if let remaining, let key {
                let most = plan.models.map { request.mostCost(on: complete.upstreams[$0]!.configuration) }
                outcome.decision?.budgetLeftUSD = remaining
                outcome.decision?.droppedForBudget = zip(plan.models, most).filter { $0.1 > remaining + BudgetSlack.dollars }.map(\.0)
                plan.models = zip(plan.models, most).filter { $0.1 <= remaining + BudgetSlack.dollars }.map(\.0)
                guard !plan.models.isEmpty else {
                    throw Self.overBudget(key, remaining: remaining, why: "the most this request can cost on any model "
                        + "(from $\(Self.dollars(most.min() ?? 0)), at max_tokens \(request.maxTokens)) does not fit what is left today")
                }
                cost = most.filter { $0 <= remaining + BudgetSlack.dollars }.max() ?? 0
            }
        case .named(let name):
            guard let upstream = complete.upstreams[name] else {
                throw RPCError(.notFound, "unknown model \"\(name)\"; configured: auto, \(complete.upstreams.keys.sorted().joined(separator: ", "))")
            }
            plan = Plan(models: [name], key: key, remainingUSD: remaining)
            if let remaining, let key {
                cost = request.mostCost(on: upstream.configuration)
                if cost > remaining + BudgetSlack.dollars {
                    throw Self.overBudget(key, remaining: remaining, why: "the most this request can cost on \(name) "
                        + "($\(Self.dollars(cost)) at max_tokens \(request.maxTokens)) does not fit")
                }
            }
        }
        if let key, let budget {
            guard let held = try await complete.budgets.hold(cost, key: key.name, budget: budget) else {
                let left = (try? await complete.budgets.left(key: key.name, budget: budget)) ?? 0
                throw Self.overBudget(key, remaining: left, why: "its requests in flight hold the rest of its budget")
            }
            plan.held = held
        }
        return plan
    }

    /// Gives back what `plan` held of its key's budget when the request ended without its
    /// booking settling the hold (a failure; nothing otherwise).
    func release(_ plan: Plan) async {
        if let held = plan.held { await complete.budgets.release(held) }
    }

    static func overBudget(_ key: FrontDoorKeys.Key, remaining: Double, why: String) -> RPCError {
        RPCError(.resourceExhausted, "key \(key.name): \(why) ($\(dollars(max(0, remaining))) left of $\(dollars(key.dailyBudgetUSD ?? 0)) today; the budget renews at 00:00 UTC)")
    }

    /// A whole (non-streamed) answer, its record written before it goes out.
    func chatCompletion(_ request: ChatRequest, _ plan: Plan, outcome: RequestOutcome) async -> HTTPResponse {
        var outcome = outcome
        var attempts: [Attempt] = []
        let answered: CompleteHandler.Answered<ChatAnswer>
        do {
            answered = try await complete.firstAnswer(
                plan.models, deadline: nil, logger: Tracing.logger(logger, outcome.trace), attempts: &attempts
            ) { upstream, timeout in
                try await upstream.chat(request, timeout: timeout)
            }
        } catch {
            return await unanswered(error, plan, attempts: attempts, outcome: outcome)
        }
        let answer = answered.value
        let cost = complete.book(
            answered.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, key: plan.key?.name, settling: plan.held)
        if let route = plan.route { complete.ledger.routed(fellBack: answered.model != route.model) }
        outcome.attempts = attempts
        outcome.answered = .init(
            model: answered.model, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
            tokensEstimated: answer.tokensEstimated, costUSD: cost)
        if complete.recorder.judges(outcome) { outcome.answerText = answer.text }
        await complete.recorder.finish(outcome)
        // The completion's id is the request's: what the client rates it by.
        var response = HTTPResponse(
            contentType: "application/json", body: JSONFieldSplice.replacingString("id", with: outcome.id, in: answer.body) ?? answer.body)
        response.headers.add(name: "x-switchyard-cost-usd", value: Self.dollars(cost))
        if answer.tokensEstimated { response.headers.add(name: "x-switchyard-tokens-estimated", value: "true") }
        describe(plan, attempts: attempts, model: answered.model, requestID: outcome.id, spentUSD: cost, into: &response.headers)
        return response
    }

    /// The answer when no model answered: the error, with the request's record (its attempts and
    /// status) written first.
    private func unanswered(_ error: any Error, _ plan: Plan, attempts: [Attempt], outcome: RequestOutcome) async -> HTTPResponse {
        var outcome = outcome
        outcome.attempts = attempts
        outcome.status = RPCError(error).code
        await complete.recorder.finish(outcome)
        var response = Self.errorResponse(RPCError(error))
        describe(plan, attempts: attempts, model: nil, requestID: outcome.id, spentUSD: 0, into: &response.headers)
        return response
    }

    /// A stream opened on an upstream: its events, the first of which has arrived.
    struct OpenedStream {
        var events: ChatEventStream.AsyncIterator
        var first: ByteBuffer?
    }

    /// A streamed answer: the first model whose stream begins is relayed event by event as it
    /// arrives, each chunk's `id` set to the request's. A failure before its first event falls
    /// back to the next model; after it, the stream ends with an error event (the status has been
    /// sent). The cost is booked when the stream ends, from the upstream's usage chunk or
    /// estimated from the streamed text, and the record is written before the closing comment
    /// that tells the client the cost.
    func streamCompletion(_ request: ChatRequest, _ plan: Plan, outcome: RequestOutcome, responder: some HTTPResponder) async throws {
        var outcome = outcome
        outcome.streamed = true
        var attempts: [Attempt] = []
        let opened: CompleteHandler.Answered<OpenedStream>
        do {
            opened = try await complete.firstAnswer(
                plan.models, deadline: nil, logger: Tracing.logger(logger, outcome.trace), attempts: &attempts
            ) { upstream, timeout in
                var events = try await upstream.chatStream(request, timeout: timeout).makeAsyncIterator()
                do {
                    let first = try await events.next()
                    return OpenedStream(events: events, first: first)
                } catch {
                    throw RPCError(.unavailable, "\(upstream.configuration.name): the stream broke before its first event: \(error)")
                }
            }
        } catch {
            try await responder.respond(await unanswered(error, plan, attempts: attempts, outcome: outcome))
            return
        }
        outcome.attempts = attempts
        if let route = plan.route { complete.ledger.routed(fellBack: opened.model != route.model) }
        var headers: HTTPHeaders = ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"]
        describe(plan, attempts: attempts, model: opened.model, requestID: outcome.id, spentUSD: nil, into: &headers)
        try await responder.begin(headers: headers)

        var meter = ChatStreamMeter()
        if let judge = complete.recorder.judge, judge.samples(outcome.id) { meter.textLimit = judge.settings.textLimit }
        var events = opened.value.events
        var piece = opened.value.first
        var clientGone: (any Error)?
        var broken: (any Error)?
        while let current = piece {
            let relayed = meter.relay(current, id: outcome.id)
            do {
                if !relayed.isEmpty {
                    try await responder.write(ByteBuffer(bytes: relayed))
                    if outcome.firstPiece == nil { outcome.firstPiece = .now }
                }
            } catch {
                clientGone = error
                break
            }
            do {
                piece = try await events.next()
            } catch {
                broken = error
                break
            }
        }
        let tail = meter.remainder()
        if clientGone == nil, !tail.isEmpty { try? await responder.write(ByteBuffer(bytes: tail)) }
        let tokens = meter.tokens(prompt: request.routingText)
        let cost = complete.book(opened.model, inputTokens: tokens.input, outputTokens: tokens.output, key: plan.key?.name, settling: plan.held)
        outcome.answered = .init(
            model: opened.model, inputTokens: tokens.input, outputTokens: tokens.output, tokensEstimated: tokens.estimated, costUSD: cost)
        if clientGone != nil { outcome.status = .cancelled } else if broken != nil { outcome.status = .unavailable }
        if complete.recorder.judges(outcome) { outcome.answerText = meter.text }
        await complete.recorder.finish(outcome)
        if let clientGone { throw clientGone }
        if let broken {
            complete.ledger.failed(opened.model)
            Tracing.logger(logger, outcome.trace).warning("upstream stream broke", metadata: ["model": "\(opened.model)", "error": "\(broken)"])
            let error: [String: Any] = [
                "message": "\(opened.model): the upstream's stream broke after it began: \(broken)",
                "type": "upstream_error", "param": NSNull(), "code": "stream_broken",
            ]
            try await responder.write(ByteBuffer(bytes: ChatEventStream.event(["error": error])))
        }
        var summary = ": switchyard-cost-usd=\(Self.dollars(cost))\(tokens.estimated ? " tokens-estimated" : "")"
        if let left = plan.left(after: cost) { summary += " switchyard-budget-left-usd=\(Self.dollars(left))" }
        summary += "\n\n"
        try await responder.write(ByteBuffer(string: summary))
    }

    /// What happened, as headers: the model that answered, the router version, the predicted
    /// cost, the failed attempts, what the key has left after `spentUSD` (nil: a stream, whose
    /// cost is not known yet: what it has left at the least, with the request's hold spent).
    func describe(_ plan: Plan, attempts: [Attempt], model: String?, requestID: String, spentUSD: Double?, into headers: inout HTTPHeaders) {
        headers.add(name: Self.requestIDHeader, value: requestID)
        if let model { headers.add(name: "x-switchyard-model", value: model) }
        if let route = plan.route {
            headers.add(name: "x-switchyard-router-version", value: route.routerVersion)
            if route.explored { headers.add(name: "x-switchyard-explored", value: "true") }
            if let model, let predicted = route.scores.first(where: { $0.model == model })?.predictedCostUSD {
                headers.add(name: "x-switchyard-predicted-cost-usd", value: Self.dollars(predicted))
            }
        }
        let failed = attempts.filter { $0.status != .ok }
        if !failed.isEmpty {
            headers.add(name: "x-switchyard-fallbacks", value: failed.map { "\($0.model) \($0.status)" }.joined(separator: ", "))
        }
        if let key = plan.key { headers.add(name: "x-switchyard-key", value: key.name) }
        if let left = plan.left(after: spentUSD ?? plan.held?.amount ?? 0) { headers.add(name: "x-switchyard-budget-left-usd", value: Self.dollars(left)) }
    }

    static func dollars(_ value: Double) -> String { String(format: "%.8f", value) }

    /// What a request's `model` asks for.
    enum ModelChoice: Equatable {
        /// A configured upstream, called directly.
        case named(String)
        /// Routed, with this trade-off (nil: the router's default), exploring or not.
        case routed(Tradeoff?, explore: Bool)
    }

    /// `model` read as a choice: "auto", a configured model, or "switchyard:" with knobs
    /// separated by commas (at most one trade-off knob, and `explore=0` to keep this request
    /// from exploring), e.g. "switchyard:alpha=0.9,explore=0". INVALID_ARGUMENT for a knob it
    /// does not know or a value that is not a number.
    static func choice(_ model: String) throws(RPCError) -> ModelChoice {
        if model == "auto" { return .routed(nil, explore: true) }
        let prefix = "switchyard:"
        guard model.hasPrefix(prefix) else { return .named(model) }
        var tradeoff: Tradeoff?
        var explore = true
        for part in model.dropFirst(prefix.count).split(separator: ",", omittingEmptySubsequences: false) {
            let knob = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard knob.count == 2, let value = Double(knob[1]), value.isFinite else {
                throw RPCError(.invalidArgument, "model \"\(model)\": expected switchyard:<knob>=<number>, e.g. switchyard:alpha=0.3")
            }
            let next: Tradeoff
            switch knob[0] {
            case "explore":
                guard value == 0 || value == 1 else { throw RPCError(.invalidArgument, "model \"\(model)\": explore is 0 or 1") }
                explore = value == 1
                continue
            case "alpha": next = .alpha(value)
            case "max_cost", "max_cost_usd": next = .maxCostUSD(value)
            case "lambda": next = .lambda(value)
            case "threshold": next = .threshold(value)
            case "strong_share": next = .strongShare(value)
            default:
                throw RPCError(
                    .invalidArgument, "model \"\(model)\": unknown knob \(knob[0]); use alpha, max_cost, lambda, threshold, strong_share or explore")
            }
            guard tradeoff == nil else { throw RPCError(.invalidArgument, "model \"\(model)\": one trade-off knob at most") }
            tradeoff = next
        }
        return .routed(tradeoff, explore: explore)
    }

    /// An `RPCError` as OpenAI's error body, with the HTTP status a client of OpenAI expects; an
    /// upstream's 4xx refusal as the upstream answered it (its status and body).
    static func errorResponse(_ error: RPCError) -> HTTPResponse {
        if let refusal = error.cause as? UpstreamRefusal {
            return HTTPResponse(
                status: HTTPResponseStatus(statusCode: refusal.status),
                contentType: refusal.contentType, body: refusal.body)
        }
        let (status, type): (HTTPResponseStatus, String) = switch error.code {
        case .invalidArgument, .failedPrecondition, .outOfRange: (.badRequest, "invalid_request_error")
        case .notFound: (.notFound, "invalid_request_error")
        case .unauthenticated: (.unauthorized, "authentication_error")
        case .permissionDenied: (.forbidden, "permission_error")
        case .resourceExhausted: (.tooManyRequests, "rate_limit_error")
        case .deadlineExceeded: (.gatewayTimeout, "timeout_error")
        case .unavailable: (.badGateway, "upstream_error")
        default: (.internalServerError, "server_error")
        }
        let code = switch error.code {
        case .notFound: "model_not_found"
        case .unauthenticated: "invalid_api_key"
        case .resourceExhausted where error.message.contains("budget"): "insufficient_quota"
        default: "\(error.code)".lowercased()
        }
        var response = errorResponse(status: status, type: type, code: code, message: error.message)
        // A spent budget renews at midnight UTC: OpenAI's SDKs would retry a 429 in vain.
        if code == "insufficient_quota" { response.headers.add(name: "x-should-retry", value: "false") }
        return response
    }

    /// The answer to a body over `limit` bytes (`HTTPServer`'s `tooLarge`).
    public static func tooLarge(_ limit: Int) -> HTTPResponse {
        errorResponse(status: .payloadTooLarge, type: "invalid_request_error", code: "request_too_large",
                      message: "the request body is over \(limit) bytes (--openai-max-body-bytes)")
    }

    static func errorResponse(status: HTTPResponseStatus, type: String, code: String, message: String) -> HTTPResponse {
        json(["error": ["message": message, "type": type, "param": NSNull(), "code": code]], status: status)
    }

    static func json(_ object: [String: Any], status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: (try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? [])
    }
}
