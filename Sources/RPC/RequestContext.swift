import Logging
import NIOCore

/// What a handler knows about the request it serves.
public struct RequestContext: Sendable {
    /// The rpc name.
    public let method: String
    /// The caller's id for the request.
    public let requestID: UInt64
    /// When the caller stops waiting; nil when it set no timeout.
    public let deadline: NIODeadline?
    /// The connection's event loop, where `.now` replies run.
    public let eventLoop: any EventLoop
    /// Carries the method and request id as metadata.
    public let logger: Logger

    /// Time left before the deadline (nil = no deadline).
    public var remaining: TimeAmount? {
        deadline.map { $0 - .now() }
    }
}
