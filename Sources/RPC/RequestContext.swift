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
    /// The server's logger; `logger` adds the method and request id.
    let serverLogger: Logger

    /// A logger carrying the method and request id as metadata (made when asked for, so requests
    /// that log nothing pay nothing).
    public var logger: Logger {
        var logger = serverLogger
        logger[metadataKey: "method"] = "\(method)"
        logger[metadataKey: "request_id"] = "\(requestID)"
        return logger
    }

    /// Time left before the deadline (nil = no deadline).
    public var remaining: TimeAmount? {
        deadline.map { $0 - .now() }
    }
}
