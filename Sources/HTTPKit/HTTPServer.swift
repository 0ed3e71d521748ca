import Lifecycles
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

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
    private let lifecycle = NIOLockedValueBox(ListenerLifecycle())
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
    public var localAddress: SocketAddress? { lifecycle.withLockedValue { $0.address } }

    /// Binds and starts accepting; returns the bound address. Idempotent; after `shutdown()`
    /// it throws (a server is never re-bound).
    @discardableResult
    public func start() async throws -> SocketAddress {
        switch lifecycle.withLockedValue({ $0.start { group.any().makePromise() } }) {
        case .bound(let address): return address
        case .wait(let future): return try await future.get()
        case .refuse: throw ChannelError.ioOnClosedChannel
        case .bind(let promise):
            do {
                let channel = try await bootstrap().bind(host: host, port: port).get()
                guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
                if !lifecycle.withLockedValue({ $0.bound(channel, at: address) }) { try? await channel.close() }
                promise.succeed(address)
                return address
            } catch {
                lifecycle.withLockedValue { $0.bindFailed() }
                promise.fail(error)
                throw error
            }
        }
    }

    private func bootstrap() -> ServerBootstrap {
        let (handler, maxBodyBytes, logger, tooLarge) = (self.handler, self.maxBodyBytes, self.logger, self.tooLarge)
        let quiescing = self.quiescing
        return ServerBootstrap(group: group)
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
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        do {
            try await start()
        } catch where lifecycle.withLockedValue({ $0.isShuttingDown }) {
            return  // shut down before it started
        }
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, closes idle connections and waits for the requests in flight to be
    /// answered (at most `grace`; then their connections are closed).
    public func shutdown(grace: Duration = .seconds(10)) async {
        guard let channel = lifecycle.withLockedValue({ $0.shutdown() }) else { return }
        let loop = channel.eventLoop
        let done = loop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: done)
        let timer = loop.scheduleTask(in: TimeAmount(grace)) { done.succeed() }
        try? await done.futureResult.get()
        timer.cancel()
        try? await channel.close()
        lifecycle.withLockedValue { $0.drained() }
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
            let responder = ChannelResponder(channel: context.channel, keepAlive: keepAlive)
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
