import Logging
import Wire

/// The trace the running task works for: set by the server around a call that carried one, and
/// by the gateway's front door around a request; every RPC call made within carries it in its
/// Envelope, so the services it reaches log the same trace id and request id.
public enum Tracing {
    @TaskLocal public static var current: TraceContext?

    /// `logger` with the trace id and the request id of `trace` as metadata (as it is without one).
    public static func logger(_ logger: Logger, _ trace: TraceContext?) -> Logger {
        guard let trace else { return logger }
        var logger = logger
        logger.handler.metadata.merge(metadata(trace)) { _, new in new }
        return logger
    }

    /// What every log line of a traced call carries: its trace id and the gateway's request id.
    static func metadata(_ trace: TraceContext) -> Logger.Metadata {
        ["trace_id": "\(trace.traceID)", "request_id": "\(trace.requestID)"]
    }
}
