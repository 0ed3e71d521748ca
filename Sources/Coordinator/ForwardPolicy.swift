import Wire

/// The coordinator's rules for one forwarded request, without any I/O: how long an attempt may
/// take (never past the caller's deadline), which answers are final, and when to try another
/// replica.
public struct ForwardPolicy: Sendable, Equatable {
    /// Different replicas tried per request.
    public var maxAttempts: Int
    /// The longest one attempt may take (the caller's deadline may shorten it).
    public var attemptTimeout: Duration

    public init(maxAttempts: Int = 3, attemptTimeout: Duration = .seconds(2)) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.maxAttempts = maxAttempts
        self.attemptTimeout = attemptTimeout
    }

    /// What to do with an attempt's answer.
    public enum Decision: Sendable, Equatable {
        /// Give this answer to the caller.
        case answer
        /// The replica failed in a way another may not: try the next one.
        case retry
        /// The replica failed transiently but no attempt is left: tell the caller why.
        case giveUp
    }

    /// The decision after attempt number `attempt` (1-based) answered `status`, with `left` of
    /// the caller's deadline remaining (nil: no deadline).
    public func decide(after status: StatusCode, attempt: Int, left: Duration? = nil) -> Decision {
        guard Self.isRetryable(status) else { return .answer }
        if let left, left <= .zero { return .giveUp }
        return attempt < maxAttempts ? .retry : .giveUp
    }

    /// Failures that say nothing about the request, so another replica may well answer it:
    /// unreachable or shutting down (UNAVAILABLE), overloaded (RESOURCE_EXHAUSTED, ABORTED), or
    /// too slow for this attempt (DEADLINE_EXCEEDED; retried only while the caller's deadline
    /// leaves time). Everything else is final, INTERNAL and UNKNOWN included: a replica that
    /// fails on a request is likely to fail on it everywhere, and retrying would multiply the load.
    public static func isRetryable(_ code: StatusCode) -> Bool {
        switch code {
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted: true
        default: false
        }
    }

    /// How long attempt may wait: `attemptTimeout`, cut to what is left of the caller's
    /// deadline; nil when nothing is left.
    public func attemptTimeout(left: Duration?) -> Duration? {
        guard let left else { return attemptTimeout }
        return left > .zero ? min(attemptTimeout, left) : nil
    }
}
