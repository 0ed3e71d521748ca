import Wire

/// What a method handler returns: the response right away, or work to run as a task.
///
/// `.now` answers on the connection's event loop with no thread hop (cheap, non-blocking work:
/// a route decision on a precomputed vector, Health, Status). `.later` runs the closure as a
/// Swift task (anything that awaits: calling another service, an upstream model); the deadline of
/// the request cancels it.
public enum Reply<Response: ProtoMessage>: Sendable {
    case now(Response)
    case later(@Sendable () async throws -> Response)
}
