import NIOCore

/// One timer for many deadlines on an event loop: armed for the earliest deadline it has been
/// told about, so a connection with thousands of calls in flight keeps one scheduled task
/// instead of one per call (scheduling and cancelling a task per call was a tenth of the
/// coordinator's CPU time). When it fires, the owner expires what is due and re-arms it for
/// the earliest deadline left.
struct DeadlineTimer {
    private var scheduled: Scheduled<Void>?
    private var firesAt: NIODeadline?

    /// Makes sure the timer fires no later than `deadline`, calling `fire` on `loop`.
    mutating func arm(by deadline: NIODeadline, on loop: any EventLoop, _ fire: @escaping @Sendable () -> Void) {
        if let firesAt, firesAt <= deadline { return }
        scheduled?.cancel()
        firesAt = deadline
        scheduled = loop.scheduleTask(deadline: deadline, fire)
    }

    /// Called first thing when the timer fires: it is no longer armed.
    mutating func fired() {
        scheduled = nil
        firesAt = nil
    }

    mutating func cancel() {
        scheduled?.cancel()
        fired()
    }
}
