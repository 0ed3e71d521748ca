import Wire

/// Turns the timeout a caller sent into the time its handler may take: past it the call is
/// answered DEADLINE_EXCEEDED and the handler cancelled (the server core's timer does both).
/// Without this interceptor in the chain, calls run as long as their handlers take.
public struct Deadlines: ServerInterceptor, Equatable {
    /// The timeout of calls that send none; nil lets them run as long as they take.
    public var defaultTimeout: Duration?
    /// The longest any call may run, whatever it asked; nil: no cap.
    public var maximum: Duration?

    public init(defaultTimeout: Duration? = nil, maximum: Duration? = nil) {
        self.defaultTimeout = defaultTimeout
        self.maximum = maximum
    }

    public var observesFinish: Bool { false }

    public func admit(_ call: inout CallHead) throws(RPCError) {
        let asked = call.timeoutMs > 0 ? .milliseconds(call.timeoutMs) : defaultTimeout
        call.timeout = switch (asked, maximum) {
        case (let asked?, let maximum?): min(asked, maximum)
        case (let asked, nil): asked
        case (nil, let maximum): maximum
        }
    }
}
