import Foundation
import NIOCore
import RPC
import UpstreamHTTP
import Wire

/// An OpenAI-compatible chat-completions endpoint over http or https: POST
/// {base_url}/chat/completions through the process's pooled HTTP client.
public struct OpenAIUpstream: Upstream {
    public let configuration: UpstreamConfiguration
    let caller: HTTPCaller
    let apiKey: String?

    /// Throws a `ConfigurationError` for a bad base URL, an unreadable CA file or an API-key
    /// variable that is not set.
    public init(_ configuration: UpstreamConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configuration = configuration
        do {
            caller = try HTTPCaller(url: configuration.baseURL ?? "", caFile: configuration.caFile)
        } catch {
            throw ConfigurationError("upstream \(configuration.name): \(error)")
        }
        if let variable = configuration.apiKeyEnv {
            guard let key = environment[variable], !key.isEmpty else {
                throw ConfigurationError("upstream \(configuration.name): environment variable \(variable) (api_key_env) is not set")
            }
            apiKey = key
        } else {
            apiKey = nil
        }
    }

    /// The prompt as one user message; the answer's first choice and its `usage` token counts.
    /// Failures as for `chat`.
    public func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        var request: [String: Any] = [
            "model": configuration.model ?? configuration.name,
            "messages": [["role": "user", "content": prompt]],
        ]
        if maxTokens > 0 { request["max_tokens"] = Int(maxTokens) }
        let reply = try await post(Array(try JSONSerialization.data(withJSONObject: request)), timeout: timeout)
        return try Self.answer(from: reply.body, prompt: prompt, upstream: configuration.name)
    }

    /// The client's request passed on with only `model` replaced; the upstream's answer body
    /// passed back as it came. 429 is RESOURCE_EXHAUSTED and 5xx UNAVAILABLE (the gateway tries
    /// the next model); another 4xx is final, an `UpstreamRefusal` carrying the upstream's
    /// status and body (the front door answers with both as they came).
    public func chat(_ request: ChatRequest, timeout: Duration) async throws -> ChatAnswer {
        let reply = try await post(try body(for: request), timeout: timeout)
        return try Self.chatAnswer(reply.body, prompt: request.routingText, upstream: configuration.name)
    }

    /// JSON, the API key, and the request's trace (`Tracing.current`) as W3C `traceparent` (a
    /// new span of it) and `tracestate`.
    var headers: [(String, String)] {
        var headers = HTTPCaller.jsonHeaders(apiKey: apiKey)
        if let trace = Tracing.current {
            headers.append(("traceparent", trace.child().traceparent))
            if !trace.tracestate.isEmpty { headers.append(("tracestate", trace.tracestate)) }
        }
        return headers
    }

    /// POSTs a chat-completions body; a 200 reply, or the error its status means.
    private func post(_ body: [UInt8], timeout: Duration) async throws -> HTTPReply {
        let reply: HTTPReply
        do {
            reply = try await caller.post("/chat/completions", headers: headers, body: body, timeout: timeout)
        } catch {
            throw RPCError(error.isTimeout ? .deadlineExceeded : .unavailable, "\(configuration.name): \(error)")
        }
        try refusal(status: reply.status, body: reply.body)
        return reply
    }

    /// The request passed on as `chat` does, answered as server-sent events: returns once the
    /// upstream has answered 200 (within the upstream's timeout); the events then stream for at
    /// most `stream_timeout_seconds`.
    public func chatStream(_ request: ChatRequest, timeout: Duration) async throws -> ChatEventStream {
        let reply: HTTPStreamingReply
        do {
            reply = try await caller.postStreaming(
                "/chat/completions", headers: headers, body: try body(for: request),
                headTimeout: timeout, streamTimeout: .nanoseconds(Int64(configuration.streamTimeoutSeconds * 1e9)))
        } catch let error as HTTPError {
            throw RPCError(error.isTimeout ? .deadlineExceeded : .unavailable, "\(configuration.name): \(error)")
        }
        if reply.status != 200 {
            var body: [UInt8] = []
            do {
                for try await piece in reply.body where body.count < UpstreamRefusal.maxBodyBytes { body += piece.readableBytesView }
            } catch {}
            try refusal(status: reply.status, body: Array(body.prefix(UpstreamRefusal.maxBodyBytes)))
        }
        return ChatEventStream(reply.body)
    }

    private func body(for request: ChatRequest) throws(RPCError) -> [UInt8] {
        try request.body(withModel: configuration.model ?? configuration.name)
    }

    /// Nothing for 200; otherwise the error the status means (see `chat`).
    private func refusal(status: Int, body: [UInt8]) throws(RPCError) {
        guard status != 200 else { return }
        let detail = String(decoding: body.prefix(300), as: UTF8.self)
        switch status {
        case 429:
            throw RPCError(.resourceExhausted, "\(configuration.name) answered HTTP 429: \(detail)")
        case 400..<500:
            let refusal = UpstreamRefusal(upstream: configuration.name, status: status, body: body)
            throw RPCError(refusal.code, "\(configuration.name) refused the request (HTTP \(status)): \(detail)", cause: refusal)
        default:
            throw RPCError(.unavailable, "\(configuration.name) answered HTTP \(status): \(detail)")
        }
    }

    /// The answer in a chat-completions response body.
    static func answer(from body: [UInt8], prompt: String, upstream: String) throws -> UpstreamAnswer {
        let answer = try chatAnswer(body, prompt: prompt, upstream: upstream)
        return UpstreamAnswer(
            text: answer.text, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens, tokensEstimated: answer.tokensEstimated)
    }

    /// A chat-completions response body with its token counts: its `usage` (read alone, without
    /// decoding the whole answer), else estimated from the prompt and the answer's text.
    /// UNAVAILABLE when the body is not a chat completion.
    static func chatAnswer(_ body: [UInt8], prompt: String, upstream: String) throws -> ChatAnswer {
        let notACompletion = RPCError(.unavailable, "\(upstream) answered something that is not a chat completion (no choices[0].message)")
        guard JSONFieldSplice.valueRange(of: "choices", in: body) != nil else { throw notACompletion }
        if let range = JSONFieldSplice.valueRange(of: "usage", in: body),
           let usage = try? JSONDecoder().decode(ChatCompletion.Usage.self, from: Data(body[range])),
           let input = usage.promptTokens, let output = usage.completionTokens {
            return ChatAnswer(
                body: body, inputTokens: UInt32(clamping: max(0, input)), outputTokens: UInt32(clamping: max(0, output)), tokensEstimated: false)
        }
        guard let text = ChatCompletion.firstText(in: body) else { throw notACompletion }
        return ChatAnswer(
            body: body, text: text, inputTokens: UpstreamAnswer.estimatedTokens(prompt), outputTokens: UpstreamAnswer.estimatedTokens(text),
            tokensEstimated: true)
    }
}

/// An upstream refused a request with a 4xx status other than 429: the request is wrong for it
/// (or its key is), and another model is not tried. The front door answers the caller with this
/// status and body as they came; Complete with the status code that means the same.
public struct UpstreamRefusal: Error, Sendable, Equatable {
    /// The most of an error body kept.
    static let maxBodyBytes = 64 << 10

    public let upstream: String
    /// The HTTP status, 400...499 but 429.
    public let status: Int
    /// The upstream's error body (at most 64 KiB).
    public let body: [UInt8]

    /// JSON when the body is a JSON object (OpenAI's error shape), else text.
    var contentType: String {
        let first = body.first { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }
        return first == UInt8(ascii: "{") ? "application/json" : "text/plain; charset=utf-8"
    }

    /// The RPC status of the same meaning.
    public var code: StatusCode {
        switch status {
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 408: .deadlineExceeded
        case 409: .aborted
        case 413: .resourceExhausted
        default: .invalidArgument
        }
    }
}

/// The parts of a chat completion the gateway reads: the first choice's text and the token counts.
struct ChatCompletion: Decodable {
    struct Choice: Decodable {
        struct Message: Decodable { var content: String? }
        var message: Message
    }

    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    var choices: [Choice]

    /// The first choice's text ("" when it has only tool calls); nil when `body` is not a chat completion.
    static func firstText(in body: [UInt8]) -> String? {
        guard let completion = try? JSONDecoder().decode(ChatCompletion.self, from: Data(body)), let first = completion.choices.first else {
            return nil
        }
        return first.message.content ?? ""
    }
}
