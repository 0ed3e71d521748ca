import Foundation
import Wire

/// An OpenAI chat-completions request as an application sends it, read just enough to route it:
/// the model asked for, the text to route on, whether it streams. The body itself is kept as it
/// came, so every field the gateway does not read (temperature, tools, response_format, ...)
/// reaches the upstream untouched.
public struct ChatRequest: Sendable {
    /// The body as received (JSON).
    public let body: [UInt8]
    /// `model`: a configured upstream, "auto", or "switchyard:<knob>=<value>".
    public let model: String
    /// The text the router routes on: the last user turn (its text parts joined).
    public let routingText: String
    public let stream: Bool
    /// `stream_options.include_usage`: the client wants a last chunk with the token counts.
    public let includeUsage: Bool
    /// `max_tokens` (or `max_completion_tokens`); 0 when absent.
    public let maxTokens: UInt32

    /// Reads `body`; INVALID_ARGUMENT naming what is wrong (not JSON, no model, no messages, no
    /// user turn with text).
    public init(body: [UInt8]) throws(RPCError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw RPCError(.invalidArgument, "the request body is not a JSON object")
        }
        guard let model = object["model"] as? String, !model.isEmpty else {
            throw RPCError(.invalidArgument, "the request needs \"model\" (a configured model, \"auto\", or \"switchyard:alpha=0.5\")")
        }
        guard let messages = object["messages"] as? [[String: Any]], !messages.isEmpty else {
            throw RPCError(.invalidArgument, "the request needs \"messages\", a non-empty array of {role, content}")
        }
        guard let text = messages.last(where: { $0["role"] as? String == "user" }).flatMap(Self.text(of:)), !text.isEmpty else {
            throw RPCError(.invalidArgument, "the request has no user message with text to route on")
        }
        self.body = body
        self.model = model
        self.routingText = text
        self.stream = object["stream"] as? Bool ?? false
        self.includeUsage = (object["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        let maxTokens = (object["max_completion_tokens"] ?? object["max_tokens"]) as? Int ?? 0
        self.maxTokens = UInt32(clamping: max(0, maxTokens))
    }

    /// The chat request a protobuf `Complete` describes: its `parameters_json` (a JSON object)
    /// with `model`, `messages` (its messages, or the prompt as one user turn) and `max_tokens`
    /// set from the request's fields.
    public init(complete request: CompleteRequest) throws(RPCError) {
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
        try self.init(body: Array(body))
    }

    /// A message's text: its content string, or its text parts joined by newlines.
    static func text(of message: [String: Any]) -> String? {
        if let content = message["content"] as? String { return content }
        guard let parts = message["content"] as? [[String: Any]] else { return nil }
        let texts = parts.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }
        return texts.isEmpty ? nil : texts.joined(separator: "\n")
    }

    /// The body with `model` replaced and everything else as it came.
    func body(withModel upstreamModel: String) throws(RPCError) -> [UInt8] {
        guard var object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw RPCError(.invalidArgument, "the request body is not a JSON object")
        }
        object["model"] = upstreamModel
        guard let data = try? JSONSerialization.data(withJSONObject: object) else {
            throw RPCError(.internal, "the request could not be written again")
        }
        return Array(data)
    }
}

/// What an upstream answered to a chat request: the chat-completion body to send back, and the
/// token counts the cost is booked from.
public struct ChatAnswer: Sendable {
    public var body: [UInt8]
    /// The first choice's message text, read once from `body` by the upstream.
    public var text: String
    public var inputTokens: UInt32
    public var outputTokens: UInt32
    public var tokensEstimated: Bool
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
