import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
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

/// Answers one request piece by piece: `begin` sends the head, `write` sends body pieces
/// (flushed at once, chunked transfer encoding), and the response ends when the stream function
/// returns. `respond` answers with a whole response instead, when nothing was begun.
public final class HTTPResponder: Sendable {
    let channel: any Channel
    let keepAlive: Bool
    private let state = NIOLockedValueBox(State.idle)

    enum State { case idle, streaming, answered }

    init(channel: any Channel, keepAlive: Bool) {
        self.channel = channel
        self.keepAlive = keepAlive
    }

    /// Sends the head of a streamed response (no Content-Length; chunked).
    public func begin(status: HTTPResponseStatus = .ok, headers: HTTPHeaders) async throws {
        try claim(.streaming)
        var headers = headers
        headers.remove(name: "Content-Length")
        headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
    }

    /// Sends `bytes` now (after `begin`); throws when the client has gone.
    public func write(_ bytes: ByteBuffer) async throws {
        guard state.withLockedValue({ $0 }) == .streaming else { throw HTTPResponderError.notStreaming }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)))
    }

    /// Answers with a whole response; only when nothing has been sent yet.
    public func respond(_ response: HTTPResponse) async throws {
        try claim(.answered)
        channel.write(HTTPServerResponsePart.head(response.head(keepAlive: keepAlive)), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { try? await channel.close() }
    }

    /// Ends the response after the stream function returned (a 500 when it sent nothing).
    func finish() async throws {
        switch state.withLockedValue({ $0 }) {
        case .answered: return
        case .idle: try await respond(HTTPResponse(status: .internalServerError, text: "no response\n"))
        case .streaming:
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { try? await channel.close() }
        }
    }

    private func claim(_ next: State) throws {
        try state.withLockedValue { state in
            guard state == .idle else { throw HTTPResponderError.alreadyAnswered }
            state = next
        }
    }
}

/// A responder used out of order.
public enum HTTPResponderError: Error {
    /// `begin` or `respond` after the response started.
    case alreadyAnswered
    /// `write` before `begin`.
    case notStreaming
}

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

/// A small HTTP/1.1 server run as a `Service`: the metrics endpoints, the gateway's OpenAI front
/// door, and stand-in upstreams in the tests.
///
/// Each request runs `handler` as a task, so a handler may await (or hang, as a broken upstream
/// would); requests on one connection are answered in order (NIO's pipelining helper holds a
/// request back until the one before it is answered). Connections are kept alive; a body
/// over `maxBodyBytes` is refused, and a request head over 80 KiB (NIO's HTTP parser limit) is
/// answered 400 and its connection closed. Shutdown is graceful: the listener closes, idle
/// connections close, and a connection with a request in flight closes once it is answered.
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
    private let quiescing: ServerQuiescingHelper

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
        self.quiescing = ServerQuiescingHelper(group: group)
    }

    /// The bound address; nil before `start()`.
    public var localAddress: SocketAddress? { state.withLockedValue { $0.address } }

    /// Binds and starts accepting; returns the bound address. Idempotent.
    @discardableResult
    public func start() async throws -> SocketAddress {
        if let address = localAddress { return address }
        let (handler, maxBodyBytes, logger, tooLarge) = (self.handler, self.maxBodyBytes, self.logger, self.tooLarge)
        let quiescing = self.quiescing
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
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
        guard let address else { throw ChannelError.unknownLocalAddress }
        return address
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, closes idle connections and waits for the requests in flight to be
    /// answered (at most `grace`; then their connections are closed).
    public func shutdown(grace: Duration = .seconds(10)) async {
        let channel = state.withLockedValue { state -> (any Channel)? in
            state.stopped = true
            return state.channel
        }
        guard let channel else { return }
        let loop = channel.eventLoop
        let done = loop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: done)
        let timer = loop.scheduleTask(in: TimeAmount(grace)) { done.succeed() }
        try? await done.futureResult.get()
        timer.cancel()
        try? await channel.close()
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
        if let stream = response.stream {
            let responder = HTTPResponder(channel: context.channel, keepAlive: keepAlive)
            let logger = self.logger
            let channel = context.channel
            context.eventLoop.makeFutureWithTask {
                try await stream(responder)
                try await responder.finish()
            }.whenFailure { error in
                // The client went away, or the stream failed midway: the response cannot be finished.
                logger.debug("streamed response ended early", metadata: ["error": "\(error)"])
                channel.close(promise: nil)
            }
            return
        }
        context.write(wrapOutboundOut(.head(response.head(keepAlive: keepAlive))), promise: nil)
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
