import Foundation
import NIOCore
import Wire

extension HTTPClient {
    /// POSTs `json` to an OpenAI-compatible endpoint (bearer `apiKey` when set) and returns the
    /// body of a 200 answer. Every failure is an `RPCError` naming `upstream`: DEADLINE_EXCEEDED
    /// when no answer came in time, RESOURCE_EXHAUSTED for HTTP 429, UNAVAILABLE otherwise (down,
    /// refused, or any other status, with the start of the answer's body).
    public static func postJSON(
        _ endpoint: HTTPEndpoint, path: String, json: [String: Any], apiKey: String?, timeout: TimeAmount, upstream: String
    ) async throws -> [UInt8] {
        var headers = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let response: HTTPClientResponse
        do {
            let body = try JSONSerialization.data(withJSONObject: json)
            response = try await post(endpoint, path: path, headers: headers, body: Array(body), timeout: timeout)
        } catch let error as HTTPError {
            if case .timedOut = error { throw RPCError(.deadlineExceeded, "\(upstream): \(error)") }
            throw RPCError(.unavailable, "\(upstream): \(error)")
        }
        guard response.status == 200 else {
            let detail = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw RPCError(response.status == 429 ? .resourceExhausted : .unavailable, "\(upstream) answered HTTP \(response.status): \(detail)")
        }
        return response.body
    }
}
