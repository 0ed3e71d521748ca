import Wire

/// A rule every call to a server passes through, in process or over a socket: authentication,
/// request metrics, deadlines and quiescing are interceptors, and a service can add its own
/// (`ServerCore`).
///
/// The server core runs a call as: admit (it is tracked as running), each interceptor's `admit`
/// in order, the handler, then each interceptor's `finished` in reverse order, for every call the
/// interceptor admitted, whatever the status. An interceptor that throws from `admit` answers
/// the call with that error: the interceptors after it and the handler never see it, the ones
/// before it see it finish with the error's status (so the metrics, first in the standard chain,
/// count refused calls too).
///
/// Both hooks run on the connection's event loop, synchronously: a call answered at once
/// (`Answer.now`) or relayed (the coordinator's Route) is never given a task or a future by its
/// interceptors. They must take nanoseconds, never block, and keep no per-call state of their own
/// (what a call needs later travels in its `CallHead`).
public protocol ServerInterceptor: Sendable {
    /// Checks or adjusts a call before its handler runs; throws the error to answer instead.
    func admit(_ call: inout CallHead) throws(RPCError)

    /// The call this interceptor admitted was answered with `status`, `nanoseconds` after it
    /// arrived (when its answer was handed to the transport).
    func finished(_ call: CallHead, status: StatusCode, nanoseconds: Int64)

    /// Whether `admit` does anything (false: the core never calls it). True unless declared.
    var admits: Bool { get }
    /// Whether `finished` does anything (false: the core never calls it). True unless declared.
    var observesFinish: Bool { get }
}

extension ServerInterceptor {
    public func admit(_ call: inout CallHead) throws(RPCError) {}
    public func finished(_ call: CallHead, status: StatusCode, nanoseconds: Int64) {}
    public var admits: Bool { true }
    public var observesFinish: Bool { true }
}

/// A call as interceptors see it: the Envelope's routing fields, who sent it, and what the
/// interceptors decided (its timeout). Nothing about the transport it came through.
public struct CallHead: Sendable {
    /// The rpc name.
    public let method: String
    /// The caller's id for the request.
    public let id: UInt64
    /// The timeout the caller sent, in milliseconds (0 = none).
    public let timeoutMs: UInt32
    /// Who is calling.
    public let caller: Caller
    /// How long the handler may take before the call is answered DEADLINE_EXCEEDED and the
    /// handler cancelled; nil = no limit. Set by `DeadlineInterceptor`.
    public var timeout: Duration?
    private var token: Token

    /// Where the caller's token is: a decoded Envelope's string, or in place in an encoded one.
    enum Token: Sendable {
        case string(String)
        case encoded(EncodedEnvelope.TokenBytes)
    }

    init(method: String, id: UInt64, timeoutMs: UInt32, caller: Caller, token: Token) {
        self.method = method
        self.id = id
        self.timeoutMs = timeoutMs
        self.caller = caller
        self.token = token
    }

    /// This head without its token (admission is over): what a running call keeps, so it holds no
    /// reference to the request's bytes.
    consuming func admitted() -> CallHead {
        var head = self
        head.token = .string("")
        return head
    }

    /// Calls `body` with the bytes of the token the caller sent (empty when none), in place.
    public func withAuthToken<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        switch token {
        case .string(var string): string.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case .encoded(let bytes): bytes.withUnsafeBytes(body)
        }
    }
}
