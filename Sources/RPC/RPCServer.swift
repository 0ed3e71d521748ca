import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Wire

/// Where and how a server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; read it back from `RPCServer.localAddress`.
    public var port: Int
    public var wire: WireConfiguration
    /// How long a graceful shutdown waits for requests in flight before closing connections.
    public var shutdownGracePeriod: Duration
    /// Timeouts and limits of every connection.
    public var limits: ConnectionLimits
    /// The tokens callers must present (none by default).
    public var authentication: Authentication

    public init(
        host: String = "127.0.0.1", port: Int = 0, wire: WireConfiguration = .init(),
        shutdownGracePeriod: Duration = .seconds(10), limits: ConnectionLimits = .init(), authentication: Authentication = .none
    ) {
        self.host = host
        self.port = port
        self.wire = wire
        self.shutdownGracePeriod = shutdownGracePeriod
        self.limits = limits
        self.authentication = authentication
    }
}

/// A TCP server for Switchyard frames, run as a swift-service-lifecycle `Service`.
///
/// Each connection is served by its own handler on an event loop; an error on one connection
/// closes that connection only. On graceful shutdown (SIGTERM through a `ServiceGroup`, or
/// `shutdown()`) it stops accepting, answers UNAVAILABLE to requests that arrive after, lets
/// requests in flight finish within the grace period, then closes every connection.
public final class RPCServer: Service, Sendable {
    /// Requests, errors and connections, for Status.
    public let stats: ServerStats
    private let configuration: ServerConfiguration
    private let handlers: RPCHandlers
    private let metrics: RPCMetrics
    private let logger: Logger
    private let group: any EventLoopGroup
    private let frameBudget: FrameBudget
    private let state = NIOLockedValueBox(State())

    private struct State {
        var listener: (any Channel)?
        /// Set once bound; kept after shutdown so Status can still report it.
        var boundAddress: SocketAddress?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    /// - Parameters:
    ///   - service: the service's name, a label on its metrics.
    ///   - stats: the counters to keep (pass your own to read them from a Status handler).
    ///   - group: event loops for the listener and the connections.
    public init(
        service: String, configuration: ServerConfiguration, handlers: RPCHandlers, logger: Logger,
        stats: ServerStats = ServerStats(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.stats = stats
        self.configuration = configuration
        self.handlers = handlers
        self.metrics = RPCMetrics(service: service, methods: handlers.methods)
        self.logger = logger
        self.group = group
        self.frameBudget = FrameBudget(capacity: configuration.limits.maxPartialFrameBytes)
    }

    /// Bytes of partly received frames held across connections now.
    public var partialFrameBytes: Int { frameBudget.inUse }

    /// The address the server is bound to (with the real port when configured with 0); nil before
    /// `start()`.
    public var localAddress: SocketAddress? { state.withLockedValue { $0.boundAddress } }

    /// Binds the listening socket and starts accepting; returns the bound address. Calling it
    /// again returns the same address; after `shutdown()` it throws UNAVAILABLE (a server is
    /// never re-bound).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let (address, shuttingDown) = state.withLockedValue { ($0.boundAddress, $0.shuttingDown) }
        if let address { return address }
        if shuttingDown { throw RPCError(.unavailable, "server is shut down") }
        let listener: any Channel
        do {
            listener = try await bootstrap().bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw RPCError(.unavailable, "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let bound = listener.localAddress!
        let winner: SocketAddress? = state.withLockedValue { state in
            if let earlier = state.boundAddress { return earlier }  // a concurrent start() won
            state.listener = listener
            state.boundAddress = bound
            if state.shuttingDown { listener.close(promise: nil) }
            return nil
        }
        if let winner {
            try? await listener.close()
            return winner
        }
        logger.info("listening", metadata: ["address": "\(bound)"])
        return bound
    }

    /// Serves until graceful shutdown, then drains connections. Starts the server if needed.
    public func run() async throws {
        if state.withLockedValue({ $0.shuttingDown && $0.boundAddress == nil }) { return }
        try await start()
        guard let listener = state.withLockedValue({ $0.listener }) else { return }
        try await withGracefulShutdownHandler {
            try await listener.closeFuture.get()
        } onGracefulShutdown: {
            self.shutdown()
        }
        await drain()
    }

    /// Begins a graceful shutdown: stop accepting and let connections finish their requests.
    public func shutdown() {
        let (listener, connections) = state.withLockedValue { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        listener?.close(promise: nil)
    }

    /// Waits for every connection to close, closing those still open after the grace period.
    private func drain() async {
        let deadline = NIODeadline.now() + TimeAmount(configuration.shutdownGracePeriod)
        let connections = state.withLockedValue { Array($0.connections.values) }
        for connection in connections {
            let forceClose = connection.eventLoop.scheduleTask(deadline: deadline) { connection.close(promise: nil) }
            try? await connection.closeFuture.get()
            forceClose.cancel()
        }
        logger.info("stopped", metadata: ["requests": "\(stats.requestsTotal)"])
    }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.accept(channel)
                }
            }
    }

    private func accept(_ channel: any Channel) throws {
        let key = ObjectIdentifier(channel)
        let (admitted, shuttingDown) = state.withLockedValue { state -> (Bool, Bool) in
            guard state.connections.count < configuration.limits.maxConnections else { return (false, state.shuttingDown) }
            state.connections[key] = channel
            return (true, state.shuttingDown)
        }
        guard admitted else {
            logger.warning("refusing a connection: at the limit", metadata: ["connections": "\(configuration.limits.maxConnections)"])
            let error = RPCError(.resourceExhausted, "the server has \(configuration.limits.maxConnections) connections, its maximum; retry later")
            try channel.pipeline.syncOperations.addHandler(RefuseConnectionHandler(error, wire: configuration.wire))
            return
        }
        var connectionLogger = logger
        connectionLogger[metadataKey: "peer"] = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
        try channel.pipeline.syncOperations.addHandler(
            ServerConnectionHandler(
                handlers: handlers, wire: configuration.wire, limits: configuration.limits,
                authentication: configuration.authentication, frameBudget: frameBudget, stats: stats, metrics: metrics,
                logger: connectionLogger))
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: key) }
        }
        if shuttingDown {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }
}

/// Answers one error frame on id 0 to a connection the server will not serve, then closes it.
final class RefuseConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let error: RPCError
    private let wire: WireConfiguration

    init(_ error: RPCError, wire: WireConfiguration) {
        self.error = error
        self.wire = wire
    }

    func channelActive(context: ChannelHandlerContext) {
        var framer = EnvelopeFramer(configuration: wire)
        if let frame = try? framer.frame(.failure(id: 0, error), allocator: context.channel.allocator) {
            let channel = context.channel
            context.writeAndFlush(NIOAny(frame)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
