import Wire

/// The coordinator's rules for one forwarded request, without any I/O: how long an attempt may
/// take, which answers are final, and when to try another replica.
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

    /// The decision after attempt number `attempt` (1-based) answered `status`.
    public func decide(after status: StatusCode, attempt: Int) -> Decision {
        guard Self.isTransient(status) else { return .answer }
        return attempt < maxAttempts ? .retry : .giveUp
    }

    /// Failures another replica may not share. OK and answers about the request itself
    /// (INVALID_ARGUMENT, NOT_FOUND, ...) are final.
    public static func isTransient(_ code: StatusCode) -> Bool {
        switch code {
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted, .cancelled, .internal, .unknown: true
        default: false
        }
    }
}
