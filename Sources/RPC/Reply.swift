import Wire

import NIOCore

/// What a method handler returns: the response right away, work to run as a task, or a future.
///
/// `.now` answers on the connection's event loop with no thread hop (cheap, non-blocking work:
/// a route decision on a precomputed vector, Health, Status). `.later` runs the closure as a
/// Swift task (anything that awaits: calling another service, an upstream model); the deadline of
/// the request cancels it.
public enum Reply<Response: ProtoMessage>: Sendable {
    case now(Response)
    case later(@Sendable () async throws -> Response)
    /// A response some NIO operation will produce (calling another service on futures): no task
    /// per request; the deadline answers DEADLINE_EXCEEDED if the future is late.
    case future(EventLoopFuture<Response>)
}
