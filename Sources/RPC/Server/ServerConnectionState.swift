import Wire

/// The life of one server connection as a state machine: events in, actions out, no sockets.
/// `ServerConnectionHandler` feeds it what happens and does what it says; the tests drive it
/// alone.
///
/// ```
/// open ──quiesce──► quiescing ──drained──► closed
///   │                  │
///   ├─unreadable frame─┴─► draining ──drained or drainTimeout──► closed
///   │                  │
///   └─input ended──────┴─► finishing ──drained──► closed
/// ```
/// Reading stops while the connection has `maxRequestsInFlight` requests running or its
/// outbound buffer is above the high-water mark (not writable), and for good once draining.
/// Timers: a frame started must finish within `frameReadTimeout` of reading (the clock stops while
/// the server itself has paused reading, since the client cannot finish a frame nobody reads, and
/// starts afresh on resuming); an open connection with nothing running and no frame started
/// closes after `idleTimeout`.
struct ServerConnectionState {
    typealias Instant = ContinuousClock.Instant

    enum Phase: Equatable {
        /// Reading and answering.
        case open
        /// Shutting down: requests that arrive are answered UNAVAILABLE; closes once drained.
        case quiescing
        /// After an unreadable frame (or a frame too slow or too large): no more reading; closes
        /// once the requests read before it are answered, or at `until`.
        case draining(until: Instant)
        /// The peer closed its sending side and every request it sent was read: closes once
        /// they are answered (bounded by their own deadlines, as on an open connection).
        case finishing
        case closed
    }

    enum Action: Equatable {
        case none
        case pauseReading
        case resumeReading
        /// Answer the broken frame on id 0 with this error, then wait for the running requests.
        case failFrame(StatusCode, String)
        case close(String)
    }

    let limits: ConnectionLimits
    private(set) var phase = Phase.open
    private(set) var inFlight = 0
    private var writable = true
    private var readingPaused = false
    /// When the frame now arriving started (nil: between frames).
    private var frameStarted: Instant?
    private var lastActivity: Instant

    init(limits: ConnectionLimits, now: Instant) {
        self.limits = limits
        lastActivity = now
    }

    /// Whether a complete frame in the buffer may be dispatched now.
    var canDispatch: Bool {
        switch phase {
        case .open, .quiescing: inFlight < limits.maxRequestsInFlight
        case .draining, .finishing, .closed: false
        }
    }

    /// Whether requests arriving now are turned away as UNAVAILABLE (shutting down).
    var isQuiescing: Bool { phase == .quiescing }

    private var shouldRead: Bool { canDispatch && writable }

    private mutating func readingAction(now: Instant) -> Action {
        if readingPaused, shouldRead {
            readingPaused = false
            if frameStarted != nil { frameStarted = now }
            return .resumeReading
        }
        if !readingPaused, !shouldRead {
            readingPaused = true
            return .pauseReading
        }
        return .none
    }

    /// Bytes arrived; `partialFrame` says whether the buffer now ends inside a frame.
    mutating func bytesArrived(partialFrame: Bool, now: Instant) {
        lastActivity = now
        frameStarted = partialFrame ? (frameStarted ?? now) : nil
    }

    /// A frame was dispatched as a request.
    mutating func requestStarted(now: Instant) -> Action {
        inFlight += 1
        lastActivity = now
        return readingAction(now: now)
    }

    /// A request was answered (or expired).
    mutating func requestFinished(now: Instant) -> Action {
        precondition(inFlight > 0, "a request finished that never started")
        inFlight -= 1
        lastActivity = now
        switch phase {
        case .quiescing, .draining, .finishing: return inFlight == 0 ? close("drained") : .none
        case .open: return readingAction(now: now)
        case .closed: return .none
        }
    }

    mutating func writabilityChanged(_ writable: Bool, now: Instant) -> Action {
        self.writable = writable
        return phase == .open || phase == .quiescing ? readingAction(now: now) : .none
    }

    /// The next frame cannot be read (bad bytes, too big for the server's budget).
    mutating func unreadableFrame(_ code: StatusCode, _ message: String, now: Instant) -> [Action] {
        guard phase == .open || phase == .quiescing else { return [] }
        phase = .draining(until: now + limits.drainTimeout)
        readingPaused = true
        return [.pauseReading, .failFrame(code, message)] + (inFlight == 0 ? [close("unreadable frame")] : [])
    }

    /// The peer closed its sending side, and every whole frame it sent has been dispatched.
    mutating func inputEnded() -> Action {
        guard phase == .open || phase == .quiescing else { return .none }
        phase = .finishing
        readingPaused = true
        return inFlight == 0 ? close("the peer closed its side") : .pauseReading
    }

    /// Graceful shutdown began.
    mutating func quiesce(now: Instant) -> Action {
        guard phase == .open else { return .none }
        phase = .quiescing
        return inFlight == 0 ? close("shutting down") : readingAction(now: now)
    }

    /// A timer fired: what is due now.
    mutating func timerFired(now: Instant) -> [Action] {
        switch phase {
        case .draining(let until):
            return now >= until ? [close("drain timeout: \(inFlight) requests unanswered")] : []
        case .finishing, .closed:
            return []
        case .open, .quiescing:
            if !readingPaused, let frameStarted, let limit = limits.frameReadTimeout, now - frameStarted >= limit {
                return unreadableFrame(.deadlineExceeded, "a frame took longer than \(limit) to arrive", now: now)
            }
            if phase == .open, inFlight == 0, frameStarted == nil, let idle = limits.idleTimeout, now - lastActivity >= idle {
                return [close("idle for \(idle)")]
            }
            return []
        }
    }

    /// When a timer should fire next (nil: nothing to watch).
    func nextCheck() -> Instant? {
        switch phase {
        case .draining(let until): return until
        case .finishing, .closed: return nil
        case .open, .quiescing:
            let frame = readingPaused ? nil : frameStarted.flatMap { started in limits.frameReadTimeout.map { started + $0 } }
            let idle = phase == .open && inFlight == 0 && frameStarted == nil ? limits.idleTimeout.map { lastActivity + $0 } : nil
            guard let frame else { return idle }
            return idle.map { min($0, frame) } ?? frame
        }
    }

    /// The connection went away (either side).
    mutating func closed() {
        phase = .closed
    }

    private mutating func close(_ reason: String) -> Action {
        phase = .closed
        return .close(reason)
    }
}
