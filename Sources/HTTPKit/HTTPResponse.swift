import NIOHTTP1

/// What the handler of an `HTTPServer` answers.
public struct HTTPResponse: Sendable {
    public typealias Stream = @Sendable (HTTPResponder) async throws -> Void

    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When set, the server ignores the rest of this value and lets `stream` answer (a whole
    /// response, or a head and then body pieces as they come); the response ends when it returns.
    public var stream: Stream?

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.headers = ["Content-Type": contentType]
        self.body = body
    }

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", text: String) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8))
    }

    /// The head of this response sent whole: its headers with Content-Length and Connection set.
    func head(keepAlive: Bool) -> HTTPResponseHead {
        var headers = self.headers
        headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// A response that `stream` gives through its responder: used when the head depends on
    /// what happens first (an upstream that must answer before the status is known).
    public init(stream: @escaping Stream) {
        self.init(status: .ok, body: [])
        self.stream = stream
    }
}
