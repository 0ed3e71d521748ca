import Foundation

extension HTTPClient {
    /// POSTs `json` to an OpenAI-compatible endpoint (bearer `apiKey` when set) and returns the
    /// body of a 200 answer. Every failure is an `HTTPError`; any status but 200 is `.status`
    /// with the start of the answer's body.
    public static func postJSON(
        _ endpoint: HTTPEndpoint, path: String, json: [String: Any], apiKey: String?, timeout: Duration
    ) async throws(HTTPError) -> [UInt8] {
        var headers = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let target = "\(endpoint)\(path)"
        let response: HTTPClientResponse
        do {
            let body = try JSONSerialization.data(withJSONObject: json)
            response = try await post(endpoint, path: path, headers: headers, body: Array(body), timeout: timeout)
        } catch let error as HTTPError {
            throw error
        } catch {
            throw .connectionClosed("\(target): \(error)")
        }
        guard response.status == 200 else {
            throw .status(target, code: response.status, detail: String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return response.body
    }
}
