import Foundation
import HTTPKit
import Logging
import NIOHTTP1
import Wire

/// The gateway's OpenAI-compatible HTTP front door, so applications and unmodified OpenAI SDKs
/// can call Switchyard: `POST /v1/chat/completions` and `GET /v1/models`.
///
/// `model` is a configured upstream (called directly), `auto` (routed with the router's default
/// trade-off) or `switchyard:<knob>=<value>` with knob `alpha`, `max_cost` (dollars), `lambda`,
/// `threshold` or `strong_share` (routed with that trade-off). A routed request is ranked by the
/// router on its last user turn and tried down the ranking (only models allowed by the budget
/// are in it); the upstream gets the request as it came with only `model` replaced, and its
/// answer comes back as it came. Upstream 429, 5xx, timeouts and unreachable hosts fall back to
/// the next model; a 4xx is the request's fault and is answered as it is. Headers say what
/// happened: `x-switchyard-model`, `x-switchyard-router-version`, `x-switchyard-predicted-cost-usd`,
/// `x-switchyard-cost-usd`, `x-switchyard-fallbacks` (the models that failed first). Errors use
/// OpenAI's shape, `{"error": {"message", "type", "code"}}`, with the matching HTTP status.
///
/// Not yet: `stream: true` (answered 400), per-key budgets, HTTPS upstreams.
public struct OpenAIFrontDoor: Sendable {
    public let complete: CompleteHandler
    let logger: Logger

    public init(complete: CompleteHandler, logger: Logger) {
        self.complete = complete
        self.logger = logger
    }

    /// Answers one HTTP request.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        switch (request.method, request.path) {
        case (.GET, "/v1/models"):
            return models()
        case (.POST, "/v1/chat/completions"):
            do {
                return try await chatCompletion(try ChatRequest(body: request.body))
            } catch {
                return Self.errorResponse(RPCError(error))
            }
        case (_, "/v1/models"), (_, "/v1/chat/completions"):
            return Self.errorResponse(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                                      message: "\(request.method) is not allowed on \(request.path)")
        default:
            return Self.errorResponse(status: .notFound, type: "invalid_request_error", code: "not_found",
                                      message: "no route \(request.path); this front door serves /v1/chat/completions and /v1/models")
        }
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

    func chatCompletion(_ request: ChatRequest) async throws -> HTTPResponse {
        guard !request.stream else {
            throw RPCError(.invalidArgument, "\"stream\": true is not supported by this gateway yet; send the request without it")
        }
        let models: [String]
        var route: RouteResponse?
        switch try Self.choice(request.model) {
        case .routed(let tradeoff):
            let routed = try await complete.route(RouteRequest(prompt: request.routingText, tradeoff: tradeoff), deadline: nil)
            models = try complete.candidates(routed)
            route = routed
        case .named(let name):
            guard complete.upstreams[name] != nil else {
                throw RPCError(.notFound, "unknown model \"\(name)\"; configured: auto, \(complete.upstreams.keys.sorted().joined(separator: ", "))")
            }
            models = [name]
        }
        var attempts: [Attempt] = []
        let answered: CompleteHandler.Answered<ChatAnswer>
        do {
            answered = try await complete.firstAnswer(models, deadline: nil, logger: logger, attempts: &attempts) { upstream, timeout in
                let answer = try await upstream.chat(request, timeout: timeout)
                return (answer, answer.inputTokens, answer.outputTokens)
            }
        } catch {
            var response = Self.errorResponse(RPCError(error))
            Self.describe(attempts: attempts, route: route, into: &response.headers)
            return response
        }
        if let route { complete.ledger.routed(fellBack: answered.model != route.model) }
        var response = HTTPResponse(contentType: "application/json", body: answered.value.body)
        response.headers.add(name: "x-switchyard-model", value: answered.model)
        response.headers.add(name: "x-switchyard-cost-usd", value: String(format: "%.8f", answered.costUSD))
        if answered.value.tokensEstimated { response.headers.add(name: "x-switchyard-tokens-estimated", value: "true") }
        Self.describe(attempts: attempts, route: route, into: &response.headers)
        if let predicted = route?.scores.first(where: { $0.model == answered.model })?.predictedCostUSD {
            response.headers.add(name: "x-switchyard-predicted-cost-usd", value: String(format: "%.8f", predicted))
        }
        return response
    }

    /// The router version and the failed attempts, as headers.
    static func describe(attempts: [Attempt], route: RouteResponse?, into headers: inout HTTPHeaders) {
        if let route { headers.add(name: "x-switchyard-router-version", value: route.routerVersion) }
        let failed = attempts.filter { $0.status != .ok }
        if !failed.isEmpty {
            headers.add(name: "x-switchyard-fallbacks", value: failed.map { "\($0.model) \($0.status)" }.joined(separator: ", "))
        }
    }

    /// What a request's `model` asks for.
    enum ModelChoice: Equatable {
        /// A configured upstream, called directly.
        case named(String)
        /// Routed, with this trade-off (nil: the router's default).
        case routed(Tradeoff?)
    }

    /// `model` read as a choice; INVALID_ARGUMENT for a `switchyard:` knob it does not know or a
    /// value that is not a number.
    static func choice(_ model: String) throws(RPCError) -> ModelChoice {
        if model == "auto" { return .routed(nil) }
        let prefix = "switchyard:"
        guard model.hasPrefix(prefix) else { return .named(model) }
        let knob = model.dropFirst(prefix.count).split(separator: "=", maxSplits: 1).map(String.init)
        guard knob.count == 2, let value = Double(knob[1]), value.isFinite else {
            throw RPCError(.invalidArgument, "model \"\(model)\": expected switchyard:<knob>=<number>, e.g. switchyard:alpha=0.3")
        }
        switch knob[0] {
        case "alpha": return .routed(.alpha(value))
        case "max_cost", "max_cost_usd": return .routed(.maxCostUSD(value))
        case "lambda": return .routed(.lambda(value))
        case "threshold": return .routed(.threshold(value))
        case "strong_share": return .routed(.strongShare(value))
        default:
            throw RPCError(.invalidArgument, "model \"\(model)\": unknown knob \(knob[0]); use alpha, max_cost, lambda, threshold or strong_share")
        }
    }

    /// An `RPCError` as OpenAI's error body, with the HTTP status a client of OpenAI expects.
    static func errorResponse(_ error: RPCError) -> HTTPResponse {
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
        let code = error.code == .notFound ? "model_not_found" : "\(error.code)".lowercased()
        return errorResponse(status: status, type: type, code: code, message: error.message)
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
