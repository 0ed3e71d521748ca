import NIOCore
import Synchronization

/// Counters a server keeps for Status: requests, errors, open connections, uptime.
public final class ServerStats: Sendable {
    private let started = NIODeadline.now()
    private let requests = Atomic<UInt64>(0)
    private let errors = Atomic<UInt64>(0)
    private let connections = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)

    public init() {}

    /// Requests answered since start.
    public var requestsTotal: UInt64 { requests.load(ordering: .relaxed) }
    /// Requests answered with a status other than OK.
    public var errorsTotal: UInt64 { errors.load(ordering: .relaxed) }
    /// Requests read and not answered yet (their handlers still working).
    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    /// Connections open now.
    public var openConnections: Int { connections.load(ordering: .relaxed) }
    /// Seconds since the stats were created (the server's start).
    public var uptimeSeconds: Double { Double((NIODeadline.now() - started).nanoseconds) / 1e9 }

    /// A connection's set of running requests grew or shrank by `delta`.
    func requestsRunningChanged(by delta: Int) { inFlight.add(delta, ordering: .relaxed) }

    func answered(ok: Bool) {
        requests.add(1, ordering: .relaxed)
        if !ok { errors.add(1, ordering: .relaxed) }
    }

    func connectionOpened() { connections.add(1, ordering: .relaxed) }
    func connectionClosed() { connections.subtract(1, ordering: .relaxed) }
}
