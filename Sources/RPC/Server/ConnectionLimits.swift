import Synchronization

/// What one server allows its connections: how long they may sit idle or take to send a frame,
/// how many there may be, how much memory their half-sent frames may hold, and how many requests
/// each may have in flight. The defaults are what a production deployment would pick; every one
/// is a flag of every service (`ServiceOptions`).
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with nothing in flight and no frame started is closed after this long (nil:
    /// never). Clients reconnect on their next call.
    public var idleTimeout: Duration?
    /// A frame that has started must be complete within this long, or the connection is answered
    /// DEADLINE_EXCEEDED on id 0 and closed (nil: no limit).
    public var frameReadTimeout: Duration?
    /// Connections open at once; one more is answered RESOURCE_EXHAUSTED on id 0 and closed.
    public var maxConnections: Int
    /// Bytes that half-received frames may hold across all connections (counted at the size their
    /// header announces); a frame that would go beyond is answered RESOURCE_EXHAUSTED on id 0 and
    /// its connection closed.
    public var maxPartialFrameBytes: Int
    /// Requests in flight on one connection; at the limit the server stops reading from it until
    /// one is answered (TCP pushes back on the sender).
    public var maxRequestsInFlight: Int
    /// After an unreadable frame, how long the requests read before it may take to be answered
    /// before the connection closes anyway.
    public var drainTimeout: Duration

    public init(
        idleTimeout: Duration? = .seconds(300), frameReadTimeout: Duration? = .seconds(10), maxConnections: Int = 4096,
        maxPartialFrameBytes: Int = 64 << 20, maxRequestsInFlight: Int = 1024, drainTimeout: Duration = .seconds(5)
    ) {
        self.idleTimeout = idleTimeout
        self.frameReadTimeout = frameReadTimeout
        self.maxConnections = maxConnections
        self.maxPartialFrameBytes = maxPartialFrameBytes
        self.maxRequestsInFlight = maxRequestsInFlight
        self.drainTimeout = drainTimeout
    }
}

/// The bytes of half-received frames a server holds, across its connections.
public final class FrameBudget: Sendable {
    public let capacity: Int
    private let used = Atomic<Int>(0)

    public init(capacity: Int) { self.capacity = capacity }

    /// Bytes held now.
    public var inUse: Int { used.load(ordering: .relaxed) }

    /// Takes `bytes` if they fit.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + bytes <= capacity else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .relaxed)
    }
}
