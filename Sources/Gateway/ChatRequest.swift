import Foundation
import Wire

/// Which turns of a conversation the router reads to choose a model.
public enum RoutingText: String, Sendable, CaseIterable {
    /// The last user message (what RouteLLM and Avengers-Pro route on): the default.
    case lastUserTurn = "last-user-turn"
    /// Every user message, oldest first.
    case userTurns = "user-turns"
    /// Every message with text (system, user, assistant), oldest first.
    case conversation

    func text(of messages: [(role: String?, text: String?)]) -> String? {
        let chosen: [String] = switch self {
        case .lastUserTurn: messages.last(where: { $0.role == "user" })?.text.map { [$0] } ?? []
        case .userTurns: messages.filter { $0.role == "user" }.compactMap(\.text)
        case .conversation: messages.compactMap(\.text)
        }
        let text = chosen.filter { !$0.isEmpty }.joined(separator: "\n")
        return text.isEmpty ? nil : text
    }
}

/// An OpenAI chat-completions request as an application sends it, read just enough to route it:
/// the model asked for, the text to route on, whether it streams. The body itself is kept as it
/// came, so every field the gateway does not read (temperature, tools, response_format, ...)
/// reaches the upstream untouched.
public struct ChatRequest: Sendable {
    /// The body as received (JSON), or with `max_tokens` added by `cappingOutput(at:)`.
    public private(set) var body: [UInt8]
    /// `model`: a configured upstream, "auto", or "switchyard:<knob>=<value>".
    public let model: String
    /// The text the router routes on: by default the last user turn (its text parts joined).
    public let routingText: String
    public let stream: Bool
    /// `stream_options.include_usage`: the client wants a last chunk with the token counts.
    public let includeUsage: Bool
    /// `max_tokens` (or `max_completion_tokens`); 0 when absent.
    public private(set) var maxTokens: UInt32
    /// `n`: how many choices the upstream generates (each up to `maxTokens`).
    public let choices: UInt32

    /// Reads `body`, taking the turns `routeOn` names as the routing text; INVALID_ARGUMENT naming
    /// what is wrong (not JSON, no model, no messages, no user turn with text).
    public init(body: [UInt8], routeOn: RoutingText = .lastUserTurn) throws(RPCError) {
        guard let fields = try? JSONDecoder().decode(ChatRequestFields.self, from: Data(body)) else {
            throw RPCError(.invalidArgument, "the request body is not a JSON object")
        }
        guard let model = fields.model, !model.isEmpty else {
            throw RPCError(.invalidArgument, "the request needs \"model\" (a configured model, \"auto\", or \"switchyard:alpha=0.5\")")
        }
        guard let messages = fields.messages, !messages.isEmpty else {
            throw RPCError(.invalidArgument, "the request needs \"messages\", a non-empty array of {role, content}")
        }
        guard messages.contains(where: { $0.role == "user" && !($0.text ?? "").isEmpty }),
              let text = routeOn.text(of: messages.map { ($0.role, $0.text) })
        else {
            throw RPCError(.invalidArgument, "the request has no user message with text to route on")
        }
        self.body = body
        self.model = model
        self.routingText = text
        self.stream = fields.stream ?? false
        self.includeUsage = fields.includeUsage ?? false
        self.maxTokens = UInt32(clamping: max(0, fields.maxCompletionTokens ?? fields.maxTokens ?? 0))
        self.choices = UInt32(clamping: max(1, fields.n ?? 1))
    }

    /// The request with `"max_tokens": tokens` added when it sets no limit of its own, so that
    /// what it can cost is bounded (a key with a budget holds that bound while it runs).
    public func cappingOutput(at tokens: UInt32) -> ChatRequest {
        guard maxTokens == 0, let brace = body.firstIndex(of: UInt8(ascii: "{")) else { return self }
        var capped = self
        capped.body.insert(contentsOf: Array("\"max_tokens\":\(tokens),".utf8), at: brace + 1)
        capped.maxTokens = tokens
        return capped
    }

    /// The most this request can cost on `upstream`: every byte of the body an input token (a
    /// token is at least one byte) and every choice `maxTokens` long.
    public func mostCost(on upstream: UpstreamConfiguration) -> Double {
        let (output, overflow) = maxTokens.multipliedReportingOverflow(by: choices)
        return upstream.cost(inputTokens: UInt32(clamping: body.count), outputTokens: overflow ? .max : output)
    }

    /// The chat request a protobuf `Complete` describes: its `parameters_json` (a JSON object)
    /// with `model`, `messages` (its messages, or the prompt as one user turn) and `max_tokens`
    /// set from the request's fields.
    public init(complete request: CompleteRequest, routeOn: RoutingText = .lastUserTurn) throws(RPCError) {
        var object: [String: Any] = [:]
        if !request.parametersJson.isEmpty {
            guard let parameters = try? JSONSerialization.jsonObject(with: Data(request.parametersJson.utf8)) as? [String: Any] else {
                throw RPCError(.invalidArgument, "parameters_json is not a JSON object")
            }
            object = parameters
        }
        let turns = request.messages.isEmpty ? [ChatMessage(role: "user", content: request.prompt)] : request.messages
        object["messages"] = turns.map { turn -> [String: Any] in
            var message: [String: Any] = ["role": turn.role, "content": turn.content]
            if !turn.name.isEmpty { message["name"] = turn.name }
            if !turn.toolCallID.isEmpty { message["tool_call_id"] = turn.toolCallID }
            return message
        }
        object["model"] = request.model.isEmpty ? "auto" : request.model
        if request.maxTokens > 0 { object["max_tokens"] = Int(request.maxTokens) }
        guard let body = try? JSONSerialization.data(withJSONObject: object) else {
            throw RPCError(.invalidArgument, "parameters_json cannot be sent on as JSON")
        }
        try self.init(body: Array(body), routeOn: routeOn)
    }

    /// The body with `model` replaced and every other byte as it came (the value is spliced in
    /// place; the body was checked to be a JSON object with a string `model` when it was read).
    func body(withModel upstreamModel: String) throws(RPCError) -> [UInt8] {
        guard let body = JSONFieldSplice.replacingString("model", with: upstreamModel, in: body) else {
            throw RPCError(.invalidArgument, "the request body's \"model\" could not be found to replace")
        }
        return body
    }
}

/// What an upstream answered to a chat request: the chat-completion body to send back, and the
/// token counts the cost is booked from.
public struct ChatAnswer: Sendable {
    public var body: [UInt8]
    public var inputTokens: UInt32
    public var outputTokens: UInt32
    public var tokensEstimated: Bool
    private let knownText: String?

    /// - Parameter text: the first choice's text when the upstream has it at hand; otherwise it
    ///   is read from `body` when asked for (the front door sends the body on and never asks).
    public init(body: [UInt8], text: String? = nil, inputTokens: UInt32, outputTokens: UInt32, tokensEstimated: Bool) {
        self.body = body
        self.knownText = text
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tokensEstimated = tokensEstimated
    }

    /// The first choice's message text ("" for an answer with only tool calls).
    public var text: String { knownText ?? ChatCompletion.firstText(in: body) ?? "" }
}

extension Upstream {
    /// Answers a chat request through `complete` (the routing text as the prompt), as a
    /// chat-completion body: the default for upstreams that are not chat endpoints (replay).
    public func chat(_ request: ChatRequest, timeout: Duration) async throws -> ChatAnswer {
        let answer = try await complete(request.routingText, maxTokens: request.maxTokens, timeout: timeout)
        let completion: [String: Any] = [
            "id": "chatcmpl-\(UUID().uuidString.lowercased())", "object": "chat.completion",
            "created": Int(Date().timeIntervalSince1970), "model": configuration.name,
            "choices": [["index": 0, "message": ["role": "assistant", "content": answer.text], "finish_reason": "stop"]],
            "usage": [
                "prompt_tokens": Int(answer.inputTokens), "completion_tokens": Int(answer.outputTokens),
                "total_tokens": Int(answer.inputTokens + answer.outputTokens),
            ],
        ]
        let body = (try? JSONSerialization.data(withJSONObject: completion)).map(Array.init) ?? []
        return ChatAnswer(
            body: body, text: answer.text, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
            tokensEstimated: answer.tokensEstimated)
    }
}

/// The fields of a chat request the gateway reads. A field of the wrong type reads as absent
/// (the checks in `ChatRequest.init` then say what is missing); every other field is ignored here
/// and passed on in the body.
private struct ChatRequestFields: Decodable {
    struct Message: Decodable {
        var role: String?
        /// The content string, or its text parts joined by newlines.
        var text: String?

        enum CodingKeys: String, CodingKey { case role, content }

        struct Part: Decodable {
            var type: String?
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try? c.decodeIfPresent(String.self, forKey: .role)
            if let content = try? c.decodeIfPresent(String.self, forKey: .content) {
                text = content
            } else if let parts = try? c.decodeIfPresent([Part].self, forKey: .content) {
                let texts = parts.compactMap { $0.type == "text" ? $0.text : nil }
                text = texts.isEmpty ? nil : texts.joined(separator: "\n")
            }
        }
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    var model: String?
    var messages: [Message]?
    var stream: Bool?
    var includeUsage: Bool?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, n
        case streamOptions = "stream_options"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try? c.decodeIfPresent(String.self, forKey: .model)
        messages = try? c.decodeIfPresent([Message].self, forKey: .messages)
        stream = try? c.decodeIfPresent(Bool.self, forKey: .stream)
        includeUsage = (try? c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions))??.includeUsage
        maxTokens = try? c.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try? c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        n = try? c.decodeIfPresent(Int.self, forKey: .n)
    }
}

