import Foundation

extension HTTPCaller {
    /// POSTs `json` to an OpenAI-compatible endpoint (bearer `apiKey` when set) and returns the
    /// body of a 200 answer. Every failure is an `HTTPError`; any status but 200 is `.status`
    /// with the start of the answer's body.
    public func postJSON(_ path: String, json: [String: Any], apiKey: String?, timeout: Duration) async throws(HTTPError) -> [UInt8] {
        let target = "\(endpoint)\(path)"
        guard let body = try? JSONSerialization.data(withJSONObject: json) else {
            throw .connectionClosed("\(target): the request could not be written as JSON")
        }
        let response = try await post(path, headers: Self.jsonHeaders(apiKey: apiKey), body: Array(body), timeout: timeout)
        guard response.status == 200 else {
            throw .status(target, code: response.status, detail: String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return response.body
    }

    /// `Content-Type: application/json`, and `Authorization: Bearer <apiKey>` when a key is given.
    public static func jsonHeaders(apiKey: String?) -> [(String, String)] {
        var headers = [("Content-Type", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        return headers
    }
}
