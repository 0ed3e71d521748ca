import Lifecycles
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

/// A TCP server for Switchyard frames, run as a swift-service-lifecycle `Service`: a
/// `ServerCore` on a socket.
///
/// Each connection is served by its own handler on an event loop; an error on one connection
/// closes that connection only. On graceful shutdown (SIGTERM through a `ServiceGroup`, or
/// `shutdown()`) it stops accepting, answers UNAVAILABLE to requests that arrive after (the core's
/// `Quiescence`), lets requests in flight finish within the grace period, then closes every
/// connection.
/// Its life is a `ListenerLifecycle`.
public final class RPCServer: Service, Sendable {
    /// The core this server runs every call through.
    public let core: ServerCore
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let group: any EventLoopGroup
    private let frameBudget: FrameBudget
    private let state = NIOLockedValueBox(State())

    private struct State {
        var lifecycle = ListenerLifecycle()
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    /// A server running the standard interceptors (`ServerCore.standard`) with the
    /// configuration's authentication.
    ///
    /// - Parameters:
    ///   - service: the service's name, a label on its metrics.
    ///   - stats: the counters to keep (pass your own to read them from a Status handler).
    ///   - group: event loops for the listener and the connections.
    public convenience init(
        service: String, configuration: ServerConfiguration, handlers: RPCHandlers, logger: Logger,
        stats: ServerStats = ServerStats(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.init(
            configuration: configuration,
            core: .standard(service: service, handlers: handlers, authentication: configuration.authentication, stats: stats),
            logger: logger, group: group)
    }

    /// A server running `core` (its handlers and interceptors as given).
    public init(
        configuration: ServerConfiguration, core: ServerCore, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.core = core
        self.configuration = configuration
        self.logger = logger
        self.group = group
        self.frameBudget = FrameBudget(capacity: configuration.limits.maxPartialFrameBytes)
    }

    /// Requests, errors and connections, for Status.
    public var stats: ServerStats { core.stats }

    /// Bytes of partly received frames held across connections now.
    public var partialFrameBytes: Int { frameBudget.inUse }

    /// The address the server is bound to (with the real port when configured with 0); nil before
    /// `start()`.
    public var localAddress: SocketAddress? { state.withLockedValue { $0.lifecycle.address } }

    /// Binds the listening socket and starts accepting; returns the bound address. Calling it
    /// again returns the same address; after `shutdown()` it throws UNAVAILABLE (a server is
    /// never re-bound).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let action = state.withLockedValue { $0.lifecycle.start { group.any().makePromise() } }
        switch action {
        case .bound(let address): return address
        case .wait(let future): return try await future.get()
        case .refuse: throw RPCError(.unavailable, "server is shut down")
        case .bind(let promise):
            do {
                let listener = try await bootstrap().bind(host: configuration.host, port: configuration.port).get()
                let address = listener.localAddress!
                if state.withLockedValue({ $0.lifecycle.bound(listener, at: address) }) {
                    logger.info("listening", metadata: ["address": "\(address)"])
                } else {
                    try? await listener.close()
                }
                promise.succeed(address)
                return address
            } catch {
                state.withLockedValue { $0.lifecycle.bindFailed() }
                let failure = RPCError(.unavailable, "cannot listen on \(configuration.host):\(configuration.port): \(error)")
                promise.fail(failure)
                throw failure
            }
        }
    }

    /// Serves until graceful shutdown, then drains connections. Starts the server if needed.
    public func run() async throws {
        do {
            try await start()
        } catch let error as RPCError where error.code == .unavailable && state.withLockedValue({ $0.lifecycle.isShuttingDown }) {
            return  // shut down before it started
        }
        if let listener = state.withLockedValue({ $0.lifecycle.listener }) {
            try await withGracefulShutdownHandler {
                try await listener.closeFuture.get()
            } onGracefulShutdown: {
                self.shutdown()
            }
        }
        await drain()
        state.withLockedValue { $0.lifecycle.drained() }
    }

    /// Begins a graceful shutdown: stop accepting, turn new calls away, and let connections
    /// finish their requests.
    public func shutdown() {
        core.quiescence.begin()
        let (listener, connections) = state.withLockedValue { ($0.lifecycle.shutdown(), Array($0.connections.values)) }
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
            // A peer that closes its sending side still gets every answer (ChannelEvent.inputClosed).
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.accept(channel)
                }
            }
    }

    private func accept(_ channel: any Channel) throws {
        let key = ObjectIdentifier(channel)
        let admitted = state.withLockedValue { state -> Bool in
            guard state.connections.count < configuration.limits.maxConnections else { return false }
            state.connections[key] = channel
            return true
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
                core: core, wire: configuration.wire, limits: configuration.limits, frameBudget: frameBudget,
                logger: connectionLogger))
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { _ = $0.connections.removeValue(forKey: key) }
        }
        if core.quiescence.isQuiescing {
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
