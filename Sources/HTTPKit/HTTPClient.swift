import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Why an HTTP call failed before a response arrived.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// The URL is not `http://host[:port]/path` (https needs a TLS-terminating proxy in front).
    case badURL(String)
    /// No connection could be made.
    case connectFailed(String, String)
    /// No whole response within the timeout.
    case timedOut(String, seconds: Double)
    /// The connection closed before the whole response arrived.
    case connectionClosed(String)
    /// The response body is larger than the caller accepts.
    case responseTooLarge(String, limit: Int)
    /// The server answered with a status other than 200; `detail` is the start of the body.
    case status(String, code: Int, detail: String)

    public var description: String {
        switch self {
        case .badURL(let url): "unsupported URL \(url) (http://host[:port]/path; put a TLS proxy in front of https)"
        case .connectFailed(let target, let reason): "cannot connect to \(target): \(reason)"
        case .timedOut(let target, let seconds): "\(target) did not answer within \(seconds) s"
        case .connectionClosed(let target): "\(target) closed the connection before answering"
        case .responseTooLarge(let target, let limit): "\(target) answered more than \(limit) bytes"
        case .status(let target, let code, let detail): "\(target) answered HTTP \(code): \(detail)"
        }
    }

    /// No answer came in time.
    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }

    /// The server said to slow down (HTTP 429).
    public var isRateLimited: Bool {
        if case .status(_, 429, _) = self { return true }
        return false
    }
}

/// A whole HTTP response.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// An `http://host:port/base` endpoint, parsed once.
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The path prefix without a trailing slash, e.g. "/v1".
    public var basePath: String

    /// Parses `http://host[:port][/path]`; throws `HTTPError.badURL` otherwise.
    public init(_ url: String) throws {
        guard url.hasPrefix("http://") else { throw HTTPError.badURL(url) }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard !authority.isEmpty, parts.count <= 2, !parts[0].isEmpty else { throw HTTPError.badURL(url) }
        host = String(parts[0])
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else { throw HTTPError.badURL(url) }
            self.port = port
        } else {
            port = 80
        }
        basePath = path
    }

    public var description: String { "http://\(host):\(port)\(basePath)" }
}

/// One HTTP/1.1 request per connection, whole response, hard timeout (connect + answer).
/// Plain http only: reach https endpoints through a TLS-terminating proxy (LiteLLM, nginx, envoy).
///
/// Model calls take hundreds of milliseconds to seconds, so a fresh connection per call costs
/// nothing that matters, and a hung upstream never holds a pooled connection.
public enum HTTPClient {
    /// POSTs `body` to `endpoint.basePath + path` and returns the whole response.
    public static func post(
        _ endpoint: HTTPEndpoint, path: String, headers: [(String, String)] = [], body: [UInt8],
        timeout: Duration, maxResponseBytes: Int = 16 << 20
    ) async throws -> HTTPClientResponse {
        try await request(.POST, endpoint, path: path, headers: headers, body: body, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// GETs `endpoint.basePath + path` and returns the whole response.
    public static func get(
        _ endpoint: HTTPEndpoint, path: String, timeout: Duration, maxResponseBytes: Int = 16 << 20
    ) async throws -> HTTPClientResponse {
        try await request(.GET, endpoint, path: path, headers: [], body: [], timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    static func request(
        _ method: HTTPMethod, _ endpoint: HTTPEndpoint, path: String, headers: [(String, String)], body: [UInt8],
        timeout: Duration, maxResponseBytes: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPClientResponse {
        let target = "\(endpoint)\(path)"
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: HTTPClientResponse.self)
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(HTTPError.timedOut(target, seconds: Double(TimeAmount(timeout).nanoseconds) / 1e9))
        }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            ResponseCollector(promise: promise, target: target, limit: maxResponseBytes))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            timer.cancel()
            let failure = HTTPError.connectFailed(target, "\(error)")
            promise.fail(failure)
            throw failure
        }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.basePath + path)
        head.headers = HTTPHeaders(headers)
        head.headers.replaceOrAdd(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        head.headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }
}

/// Gathers one response and completes the promise with it (or with why it could not).
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPClientResponse>
    private let target: String
    private let limit: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<HTTPClientResponse>, target: String, limit: Int) {
        self.promise = promise
        self.target = target
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= limit else {
                promise.fail(HTTPError.responseTooLarge(target, limit: limit))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            promise.succeed(HTTPClientResponse(status: Int(head.status.code), headers: head.headers, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HTTPError.connectionClosed(target))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(HTTPError.connectionClosed("\(target): \(error)"))
        context.close(promise: nil)
    }
}
