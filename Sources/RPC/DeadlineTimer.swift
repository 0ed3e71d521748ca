import NIOCore

/// One timer for many deadlines on an event loop: armed for the earliest deadline it has been
/// told about, so a connection with thousands of calls in flight keeps one scheduled task
/// instead of one per call (scheduling and cancelling a task per call was a tenth of the
/// coordinator's CPU time). When it fires, the owner expires what is due and re-arms it for
/// the earliest deadline left.
struct DeadlineTimer {
    private var scheduled: Scheduled<Void>?
    private var firesAt: NIODeadline?

    /// Whether the timer already fires no later than `deadline`.
    func covers(_ deadline: NIODeadline) -> Bool {
        firesAt.map { $0 <= deadline } ?? false
    }

    /// Makes sure the timer fires no later than `deadline`, calling `fire` on `loop`.
    mutating func arm(by deadline: NIODeadline, on loop: any EventLoop, _ fire: @escaping @Sendable () -> Void) {
        if covers(deadline) { return }
        scheduled?.cancel()
        firesAt = deadline
        scheduled = loop.scheduleTask(deadline: deadline, fire)
    }

    /// Called first thing when the timer fires: it is no longer armed.
    mutating func fired() {
        scheduled = nil
        firesAt = nil
    }

    /// The keys of `entries` whose deadline has passed at `now`, and the earliest deadline still ahead.
    static func due<Key, Value>(
        in entries: [Key: Value], now: NIODeadline, deadline: (Value) -> NIODeadline?
    ) -> (due: [Key], earliest: NIODeadline?) {
        var due: [Key] = []
        var earliest: NIODeadline?
        for (key, value) in entries {
            guard let deadline = deadline(value) else { continue }
            if deadline <= now {
                due.append(key)
            } else if earliest.map({ deadline < $0 }) ?? true {
                earliest = deadline
            }
        }
        return (due, earliest)
    }

    mutating func cancel() {
        scheduled?.cancel()
        fired()
    }
}

/// A connection handler whose entries (calls or requests) expire at their deadlines, swept by
/// one `DeadlineTimer`: the client and the server side share the sweep.
protocol DeadlineSweeping: AnyObject {
    associatedtype Key: Hashable
    associatedtype Entry
    var deadlines: DeadlineTimer { get set }
    /// The entries that may expire, by key.
    var pendingDeadlines: [Key: Entry] { get }
    /// When `entry` expires; nil never.
    static func deadline(of entry: Entry) -> NIODeadline?
    /// Expires the entry `key` (answers or fails it, and forgets it).
    func expire(_ key: Key)
}

extension DeadlineSweeping {
    /// Makes sure the sweep runs on `loop` no later than `deadline`.
    func armDeadlines(by deadline: NIODeadline, on loop: any EventLoop) {
        // Most calls end after one already armed for: no closure is made for them.
        if deadlines.covers(deadline) { return }
        let owner = NIOLoopBound(self, eventLoop: loop)
        deadlines.arm(by: deadline, on: loop) { owner.value.sweepDeadlines(on: loop) }
    }

    /// Expires every entry past its deadline and re-arms for the earliest one left.
    func sweepDeadlines(on loop: any EventLoop) {
        deadlines.fired()
        let (due, earliest) = DeadlineTimer.due(in: pendingDeadlines, now: loop.now, deadline: Self.deadline(of:))
        for key in due { expire(key) }
        if let earliest { armDeadlines(by: earliest, on: loop) }
    }
}
