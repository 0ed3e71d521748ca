import NIOCore

/// The life of a listening server (the RPC server, the HTTP server) as a state machine: events
/// in, actions out. The server keeps it under a lock and carries out what it says; the tests
/// drive it alone.
///
/// ```
/// idle ──start──► binding ──bound──► listening ──shutdown──► quiescing ──drained──► stopped
///   │                │                                          ▲
///   │                └──shutdown (the listener closes as soon as it is bound)
///   └──shutdown before start──────────────────────────────────────────────────────► stopped
/// ```
/// A server binds once: `start` after shutdown is refused, `start` while binding waits for that
/// bind, `start` once bound returns the address. The address is kept after shutdown (Status
/// still reports it).
public struct ListenerLifecycle: Sendable {
    public enum Phase: Sendable {
        case idle
        /// A `start` is binding; other `start`s wait for this future.
        case binding(EventLoopFuture<SocketAddress>)
        case listening(any Channel, SocketAddress)
        /// Shutdown began: no more connections; those open finish. The listener is nil when
        /// shutdown came before the bind finished, the address when it never finished.
        case quiescing((any Channel)?, SocketAddress?)
        case stopped(SocketAddress?)
    }

    public private(set) var phase = Phase.idle

    public init() {}

    /// The bound address (kept after shutdown); nil before the bind.
    public var address: SocketAddress? {
        switch phase {
        case .idle, .binding: nil
        case .listening(_, let address): address
        case .quiescing(_, let address), .stopped(let address): address
        }
    }

    /// Whether shutdown has begun (or finished).
    public var isShuttingDown: Bool {
        switch phase {
        case .idle, .binding, .listening: false
        case .quiescing, .stopped: true
        }
    }

    public enum StartAction {
        /// Bind now, then report `bound` or `bindFailed`; complete the promise either way.
        case bind(EventLoopPromise<SocketAddress>)
        /// Another start is binding: wait for it.
        case wait(EventLoopFuture<SocketAddress>)
        /// Bound already.
        case bound(SocketAddress)
        /// Shut down before it was ever bound.
        case refuse
    }

    /// A caller wants the server listening; `promise` is made on demand for a bind.
    public mutating func start(makePromise: () -> EventLoopPromise<SocketAddress>) -> StartAction {
        switch phase {
        case .idle:
            let promise = makePromise()
            phase = .binding(promise.futureResult)
            return .bind(promise)
        case .binding(let future): return .wait(future)
        case .listening(_, let address): return .bound(address)
        case .quiescing(_, let address?), .stopped(let address?): return .bound(address)
        case .quiescing(_, nil), .stopped(nil): return .refuse
        }
    }

    /// The bind succeeded. True: serve; false: shutdown came meanwhile, close the listener.
    public mutating func bound(_ listener: any Channel, at address: SocketAddress) -> Bool {
        guard case .binding = phase else {
            phase = .quiescing(nil, address)
            return false
        }
        phase = .listening(listener, address)
        return true
    }

    /// The bind failed: a later `start` may try again.
    public mutating func bindFailed() {
        if case .binding = phase { phase = .idle }
    }

    /// Shutdown begins; returns the listener to close (nil when there is none, or shutdown had
    /// already begun).
    public mutating func shutdown() -> (any Channel)? {
        switch phase {
        case .idle:
            phase = .stopped(nil)
        case .binding:
            phase = .quiescing(nil, nil)
        case .listening(let listener, let address):
            phase = .quiescing(listener, address)
            return listener
        case .quiescing, .stopped:
            break
        }
        return nil
    }

    /// The listener to wait on while serving (nil when not listening).
    public var listener: (any Channel)? {
        switch phase {
        case .listening(let listener, _): listener
        case .quiescing(let listener, _): listener
        case .idle, .binding, .stopped: nil
        }
    }

    /// Every connection has closed.
    public mutating func drained() {
        phase = .stopped(address)
    }
}
