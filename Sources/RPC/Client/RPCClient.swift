import NIOCore
import NIOPosix
import Synchronization
import Wire

/// How a client connects and how long it waits.
public struct ClientConfiguration: Sendable {
    public var wire: WireConfiguration
    public var connectTimeout: Duration
    /// The timeout of calls that give none; nil waits as long as the connection lives.
    public var defaultTimeout: Duration?
    /// Connections to open to the server; calls take them in turn.
    public var connections: Int
    /// The token sent with every call (the server's `--auth-token-file`, or its admin token).
    public var authToken: String?
    /// How a connection whose peer went silent is found dead; nil: only by the calls' timeouts.
    public var keepalive: Keepalive?

    public init(
        wire: WireConfiguration = .init(), connectTimeout: Duration = .seconds(2),
        defaultTimeout: Duration? = .seconds(30), connections: Int = 1, authToken: String? = nil,
        keepalive: Keepalive? = .init()
    ) {
        self.wire = wire
        self.connectTimeout = connectTimeout
        self.defaultTimeout = defaultTimeout
        self.connections = connections
        self.authToken = authToken
        self.keepalive = keepalive
    }
}

/// Finds a dead connection while calls wait on it: a peer that went away without closing (its
/// host or link down, a partition) sends no FIN or RST, so without this every call waits out its
/// whole timeout and the next ones queue behind it on the same connection.
///
/// When calls are waiting and nothing has been read for `interval`, the client sends a Health
/// ping (servers answer Health however busy their handlers are); when no byte arrives within
/// `timeout` of it, the connection is closed and every call on it fails UNAVAILABLE (the next
/// call reconnects). An idle connection sends nothing. A server that stops reading because a
/// thousand slow calls fill its in-flight cap will not read the ping either: give such
/// connections a longer interval.
public struct Keepalive: Sendable {
    /// Silence, with calls waiting, before a ping is sent.
    public var interval: Duration
    /// How long the ping may go unanswered before the connection is declared dead.
    public var timeout: Duration

    public init(interval: Duration = .seconds(1), timeout: Duration = .seconds(1)) {
        self.interval = interval
        self.timeout = timeout
    }
}

/// Calls a Switchyard service over reused, pipelined connections.
///
/// Any number of calls may be in flight at once; each gets its own request id and its answer in
/// whatever order the server finishes. Every failure is an `RPCError`: the server's status,
/// DEADLINE_EXCEEDED when the timeout passes, UNAVAILABLE when the server cannot be reached or the
/// connection drops with the call in flight.
public final class RPCClient: ForwardingCaller {
    /// The server's address.
    public let address: ServiceAddress
    private let configuration: ClientConfiguration
    private let connections: [ClientConnection]
    private let turn = Atomic<Int>(0)

    public init(
        address: ServiceAddress, configuration: ClientConfiguration = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.address = address
        self.configuration = configuration
        let loops = Array(group.makeIterator())
        self.connections = (0..<max(1, configuration.connections)).map { i in
            ClientConnection(address: address, configuration: configuration, eventLoop: loops.isEmpty ? group.next() : loops[i % loops.count])
        }
    }

    public var target: String { address.description }

    /// Calls `method`; `timeout` nil uses the configuration's default.
    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration?
    ) async throws -> Response {
        try await callSerialized(method.name, body: request.serializedBytes(), timeout: timeout).get()
            .response(to: method.name, from: target)
    }

    /// Sends a request body serialized beforehand and returns the response Envelope whatever its
    /// status (for load generators and proxies that need not decode). Fails only when no answer
    /// arrives: UNAVAILABLE, DEADLINE_EXCEEDED.
    ///
    /// With `preferring`, a connection on that event loop is used when there is one (a proxy
    /// forwarding from a connection on that loop then never hops threads).
    public func callSerialized(
        _ method: String, body: [UInt8], timeout: Duration? = nil, preferring eventLoop: (any EventLoop)? = nil
    ) -> EventLoopFuture<Envelope> {
        connection(preferring: eventLoop).send(method: method, body: body, timeout: self.timeout(timeout))
    }

    public func forward(
        _ request: EncodedEnvelope, timeout: Duration?, on eventLoop: any EventLoop, complete: @escaping RelayCompletion
    ) {
        connection(preferring: eventLoop).send(.relay(request), timeout: self.timeout(timeout), completer: .relayed(complete))
    }

    private func timeout(_ timeout: Duration?) -> TimeAmount? {
        (timeout ?? configuration.defaultTimeout).map(TimeAmount.init)
    }

    /// The next connection in turn, or one on `eventLoop` when there is one.
    private func connection(preferring eventLoop: (any EventLoop)?) -> ClientConnection {
        let turn = self.turn.add(1, ordering: .relaxed).oldValue
        let next = connections[turn % connections.count]
        guard let eventLoop, next.eventLoop !== eventLoop else { return next }
        for offset in 1..<connections.count {
            let candidate = connections[(turn + offset) % connections.count]
            if candidate.eventLoop === eventLoop { return candidate }
        }
        return next
    }

    /// Closes the connections; calls after this fail UNAVAILABLE.
    public func close() async {
        for connection in connections {
            try? await connection.close().get()
        }
    }
}
