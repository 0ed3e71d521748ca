import NIOHTTP1

/// A request as the handler of an `HTTPServer` sees it: whole, body included.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path with its query string, e.g. "/metrics".
    public var uri: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path without the query string.
    public var path: Substring { uri[..<(uri.firstIndex(of: "?") ?? uri.endIndex)] }
}
