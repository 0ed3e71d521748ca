import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

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
    public var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }
}

/// What the handler of an `HTTPServer` answers.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.headers = ["Content-Type": contentType]
        self.body = body
    }

    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", text: String) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8))
    }
}

/// A small HTTP/1.1 server (keep-alive, whole-body requests) run as a `Service`: the metrics
/// endpoint of every Switchyard service, and stand-in upstreams in the tests.
///
/// Each request runs `handler` as a task, so a handler may await (or hang, as a broken upstream
/// would); requests on one connection are answered in order.
public final class HTTPServer: Service, Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// The answer to a request whose body is over the limit (given the limit in bytes).
    public typealias TooLarge = @Sendable (Int) -> HTTPResponse

    private let host: String
    private let port: Int
    private let maxBodyBytes: Int
    private let handler: Handler
    private let tooLarge: TooLarge
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox<(channel: (any Channel)?, address: SocketAddress?, stopped: Bool)>((nil, nil, false))

    /// - Parameters:
    ///   - port: 0 picks a free port; read it back from `localAddress`.
    ///   - maxBodyBytes: larger request bodies are answered with `tooLarge` (413 by default) and
    ///     the connection closed.
    public init(
        host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 4 << 20, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tooLarge: @escaping TooLarge = { HTTPResponse(status: .payloadTooLarge, text: "request body over \($0) bytes\n") },
        handler: @escaping Handler
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.tooLarge = tooLarge
        self.handler = handler
        self.logger = logger
        self.group = group
    }

    /// The bound address; nil before `start()`.
    public var localAddress: SocketAddress? { state.withLockedValue { $0.address } }

    /// Binds and starts accepting; returns the bound address. Idempotent.
    @discardableResult
    public func start() async throws -> SocketAddress {
        if let address = localAddress { return address }
        let (handler, maxBodyBytes, logger, tooLarge) = (self.handler, self.maxBodyBytes, self.logger, self.tooLarge)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPServerRequestHandler(handler: handler, maxBodyBytes: maxBodyBytes, tooLarge: tooLarge, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
        let address = channel.localAddress
        let stopped = state.withLockedValue { state in
            state.channel = channel
            state.address = address
            return state.stopped
        }
        if stopped { try? await channel.close() }
        guard let address else { throw HTTPError.connectFailed("\(host):\(port)", "no local address") }
        return address
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting and closes the listener.
    public func shutdown() async {
        let channel = state.withLockedValue { state -> (any Channel)? in
            state.stopped = true
            return state.channel
        }
        try? await channel?.close()
    }
}

/// Collects one request at a time and answers it with the server's handler.
private final class HTTPServerRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: HTTPServer.Handler
    private let maxBodyBytes: Int
    private let tooLargeResponse: HTTPServer.TooLarge
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(handler: @escaping HTTPServer.Handler, maxBodyBytes: Int, tooLarge: @escaping HTTPServer.TooLarge, logger: Logger) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.tooLargeResponse = tooLarge
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            tooLarge = false
        case .body(var buffer):
            guard !tooLarge else { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                tooLarge = true
                body = []
            } else {
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                write(tooLargeResponse(maxBodyBytes), keepAlive: false, context: context)
                return
            }
            let request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            let keepAlive = head.isKeepAlive
            let handler = self.handler
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await handler(request) }.whenSuccess { response in
                let (this, context) = loopBound.value
                this.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection closed on error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
