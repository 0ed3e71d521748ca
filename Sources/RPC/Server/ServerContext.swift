import Logging
import Wire

/// Who sent a request.
public struct Caller: Sendable, Equatable {
    /// The peer's address ("ip:port"), or "in-process".
    public var peer: String

    public init(peer: String) { self.peer = peer }

    /// A caller in the same process (tests, the in-process transport).
    public static let inProcess = Caller(peer: "in-process")
}

/// What a handler knows about the request it serves: which method, when the caller stops
/// waiting, who is calling, and a logger. Nothing about the transport it came through.
public struct ServerContext: Sendable {
    /// The rpc name.
    public let method: String
    /// The caller's id for the request (0 in process).
    public let requestID: UInt64
    /// When the caller stops waiting; nil when it set no timeout.
    public let deadline: ContinuousClock.Instant?
    /// Who is calling.
    public let caller: Caller
    /// The server's logger; `logger` adds the method, the call's id and the trace.
    let serverLogger: Logger
    /// Where the call's trace context is: decoded with its Envelope, or still encoded (a relayed
    /// call's, decoded only when asked).
    let traceSource: TraceSource

    enum TraceSource: Sendable {
        case none
        case decoded(TraceContext)
        case encoded(EncodedEnvelope)
    }

    init(
        method: String, requestID: UInt64, deadline: ContinuousClock.Instant?, caller: Caller, serverLogger: Logger,
        trace: TraceSource = .none
    ) {
        self.method = method
        self.requestID = requestID
        self.deadline = deadline
        self.caller = caller
        self.serverLogger = serverLogger
        self.traceSource = trace
    }

    /// The trace the call carries (W3C trace context and the gateway's request id); nil when the
    /// caller sent none.
    public var trace: TraceContext? {
        switch traceSource {
        case .none: nil
        case .decoded(let trace): trace
        case .encoded(let envelope): envelope.trace
        }
    }

    /// A logger carrying the method, the call's id on its connection (`rpc_id`), the peer and,
    /// when the call carries a trace, its `trace_id` and the gateway's `request_id`; made when
    /// asked for (it costs microseconds: ask only when about to log, so requests that log nothing
    /// pay nothing).
    public var logger: Logger {
        var logger = serverLogger
        var metadata: Logger.Metadata = ["method": "\(method)", "rpc_id": "\(requestID)", "peer": "\(caller.peer)"]
        if let trace { metadata.merge(Tracing.metadata(trace)) { _, new in new } }
        logger.handler.metadata.merge(metadata) { _, new in new }  // one update, not several
        return logger
    }

    /// Time left before the deadline (nil = no deadline; negative once it has passed).
    public var remaining: Duration? {
        deadline.map { ContinuousClock.now.duration(to: $0) }
    }

    /// How long a call made for this request may take when it should take at most `limit`:
    /// `limit`, cut to what is left of the caller's deadline.
    public func timeout(atMost limit: Duration) -> Duration {
        Self.timeout(atMost: limit, before: deadline)
    }

    /// `limit`, cut to what is left before `deadline` (for work that has a deadline but no
    /// context, such as an HTTP request's).
    public static func timeout(atMost limit: Duration, before deadline: ContinuousClock.Instant?) -> Duration {
        deadline.map { min(limit, ContinuousClock.now.duration(to: $0)) } ?? limit
    }
}
