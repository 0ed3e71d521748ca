import NIOCore
import Wire

/// The life of one client connection as a state machine: events in, actions out, no sockets and
/// no clock of its own (every event carries the time, read from the event loop's `now`).
/// `ClientConnectionHandler` feeds it what happens and does what it says; the tests drive it
/// alone, and the handler over an embedded channel with virtual time.
///
/// ```
/// connecting ──connected──► ready ──silent for interval, calls waiting──► pingSent
///                             ▲                                             │
///                             └─────────────any byte read───────────────────┤
///                                                                           │ nothing for timeout
///   ready, pingSent ──server refused the stream (id 0)──► closing ◄─────────┘
///   any ──channel closed──► closed
/// ```
///
/// Keepalive: a peer that went away without closing (its host or link down) sends no FIN or RST.
/// While calls wait and nothing has been read for `interval`, a Health ping goes out; when no
/// byte arrives within `timeout` of it, the connection is declared dead: every call fails
/// UNAVAILABLE and the channel closes. An idle connection (no call waiting) sends nothing.
struct ClientConnectionState {
    enum Phase: Equatable {
        /// The channel exists; the connect has not completed.
        case connecting
        /// Open; `lastRead` is when bytes last arrived (or calls began waiting on a quiet connection).
        case ready(lastRead: NIODeadline)
        /// A keepalive ping went out at `at` and nothing has been read since.
        case pingSent(at: NIODeadline)
        /// Failing: no more calls are sent; the channel is closing.
        case closing
        case closed
    }

    enum Action: Equatable {
        case none
        /// Run `timerFired` at this time (replacing any check already scheduled).
        case scheduleCheck(at: NIODeadline)
        /// Send a Health ping, then check at this time.
        case sendPing(thenCheckAt: NIODeadline)
        /// Fail every waiting call with this error and close the channel.
        case failAllAndClose(RPCError)
    }

    let keepalive: Keepalive?
    private(set) var phase = Phase.connecting
    /// Calls sent and not answered yet.
    private var waiting = 0
    /// Whether a keepalive check is scheduled.
    private var checkScheduled = false

    init(keepalive: Keepalive?) {
        self.keepalive = keepalive
    }

    /// Whether a call may be sent now (one sent while connecting goes out once connected: the
    /// connect's success is heard before the channel says it is active).
    var canSend: Bool {
        switch phase {
        case .connecting, .ready, .pingSent: true
        case .closing, .closed: false
        }
    }

    /// The channel became active: calls already waiting start the keepalive clock.
    mutating func connected(now: NIODeadline) -> Action {
        guard phase == .connecting else { return .none }
        phase = .ready(lastRead: now)
        guard waiting > 0, let keepalive else { return .none }
        return schedule(at: now + TimeAmount(keepalive.interval))
    }

    /// A call was sent: calls beginning to wait on a quiet connection start the keepalive clock.
    mutating func callSent(now: NIODeadline) -> Action {
        waiting += 1
        guard waiting == 1, let keepalive, case .ready(let lastRead) = phase else { return .none }
        let since = max(lastRead, now)
        phase = .ready(lastRead: since)
        // A check already scheduled comes no later than this one would, and reschedules itself.
        return checkScheduled ? .none : schedule(at: since + TimeAmount(keepalive.interval))
    }

    /// A call was answered or expired.
    mutating func callEnded() {
        waiting = max(0, waiting - 1)
    }

    /// Bytes arrived: the peer is alive.
    mutating func bytesRead(now: NIODeadline) {
        switch phase {
        case .ready, .pingSent: phase = .ready(lastRead: now)
        case .connecting, .closing, .closed: break
        }
    }

    /// The server answered id 0 with an error: it could not read our stream and is closing it.
    mutating func refusedByServer(_ error: RPCError) -> Action {
        guard canSend else { return .none }
        phase = .closing
        return .failAllAndClose(error)
    }

    /// A keepalive check is due.
    mutating func timerFired(now: NIODeadline, peer: String) -> Action {
        checkScheduled = false
        guard let keepalive else { return .none }
        switch phase {
        case .pingSent(let sent):
            if now >= sent + TimeAmount(keepalive.timeout) {
                phase = .closing
                return .failAllAndClose(RPCError(
                    .unavailable,
                    "\(peer) went silent: no answer to a keepalive ping within \(keepalive.timeout) while calls waited; connection closed"))
            }
            return schedule(at: sent + TimeAmount(keepalive.timeout))
        case .ready(let lastRead):
            guard waiting > 0 else { return .none }  // idle: nothing to watch until a call is sent
            let due = lastRead + TimeAmount(keepalive.interval)
            guard now >= due else { return schedule(at: due) }
            phase = .pingSent(at: now)
            checkScheduled = true
            return .sendPing(thenCheckAt: now + TimeAmount(keepalive.timeout))
        case .connecting, .closing, .closed:
            return .none
        }
    }

    /// The channel closed (either side).
    mutating func closed() {
        phase = .closed
        waiting = 0
    }

    private mutating func schedule(at deadline: NIODeadline) -> Action {
        checkScheduled = true
        return .scheduleCheck(at: deadline)
    }

    /// Whether a check is scheduled (for the handler's bookkeeping and the tests).
    var hasScheduledCheck: Bool { checkScheduled }
}
