import Foundation
import HTTPKit
import Wire

/// An OpenAI-compatible chat-completions endpoint: POST {base_url}/chat/completions with one user
/// message; the answer's first choice and its `usage` token counts.
public struct OpenAIUpstream: Upstream {
    public let configuration: UpstreamConfiguration
    let endpoint: HTTPEndpoint
    let apiKey: String?

    /// Throws a `ConfigurationError` for a bad base URL or an API-key variable that is not set.
    public init(_ configuration: UpstreamConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configuration = configuration
        do {
            endpoint = try HTTPEndpoint(configuration.baseURL ?? "")
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

    public func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        var request: [String: Any] = [
            "model": configuration.model ?? configuration.name,
            "messages": [["role": "user", "content": prompt]],
        ]
        if maxTokens > 0 { request["max_tokens"] = Int(maxTokens) }
        let body: [UInt8]
        do {
            body = try await HTTPClient.postJSON(endpoint, path: "/chat/completions", json: request, apiKey: apiKey, timeout: timeout)
        } catch {
            let code: StatusCode = error.isTimeout ? .deadlineExceeded : error.isRateLimited ? .resourceExhausted : .unavailable
            throw RPCError(code, "\(configuration.name): \(error)", cause: error)
        }
        return try Self.answer(from: body, prompt: prompt, upstream: configuration.name)
    }

    /// The client's request passed on with only `model` replaced; the upstream's answer body
    /// passed back as it came. 429 is RESOURCE_EXHAUSTED and 5xx UNAVAILABLE (the gateway tries
    /// the next model); another 4xx is INVALID_ARGUMENT with the upstream's words (the request
    /// itself is wrong, another model would refuse it too).
    public func chat(_ request: ChatRequest, timeout: Duration) async throws -> ChatAnswer {
        var headers = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let body = try request.body(withModel: configuration.model ?? configuration.name)
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.post(endpoint, path: "/chat/completions", headers: headers, body: body, timeout: timeout)
        } catch {
            let timedOut = (error as? HTTPError)?.isTimeout ?? false
            throw RPCError(timedOut ? .deadlineExceeded : .unavailable, "\(configuration.name): \(error)")
        }
        let detail = String(decoding: response.body.prefix(300), as: UTF8.self)
        switch response.status {
        case 200:
            let answer = try Self.answer(from: response.body, prompt: request.routingText, upstream: configuration.name)
            return ChatAnswer(
                body: response.body, text: answer.text, inputTokens: answer.inputTokens, outputTokens: answer.outputTokens,
                tokensEstimated: answer.tokensEstimated)
        case 429:
            throw RPCError(.resourceExhausted, "\(configuration.name) answered HTTP 429: \(detail)")
        case 400..<500:
            throw RPCError(.invalidArgument, "\(configuration.name) refused the request (HTTP \(response.status)): \(detail)")
        default:
            throw RPCError(.unavailable, "\(configuration.name) answered HTTP \(response.status): \(detail)")
        }
    }

    /// The answer in a chat-completions response body.
    static func answer(from body: [UInt8], prompt: String, upstream: String) throws -> UpstreamAnswer {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let choices = object["choices"] as? [[String: Any]], let first = choices.first,
              let message = first["message"] as? [String: Any], let text = message["content"] as? String
        else {
            throw RPCError(.unavailable, "\(upstream) answered something that is not a chat completion (no choices[0].message.content)")
        }
        let usage = object["usage"] as? [String: Any]
        if let input = usage?["prompt_tokens"] as? Int, let output = usage?["completion_tokens"] as? Int {
            return UpstreamAnswer(text: text, inputTokens: UInt32(clamping: input), outputTokens: UInt32(clamping: output), tokensEstimated: false)
        }
        return UpstreamAnswer(
            text: text, inputTokens: UpstreamAnswer.estimatedTokens(prompt), outputTokens: UpstreamAnswer.estimatedTokens(text),
            tokensEstimated: true)
    }
}
