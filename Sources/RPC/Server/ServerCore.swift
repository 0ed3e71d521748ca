import Wire

/// A server without its transport: the methods it answers and the interceptors every call passes
/// through. `RPCServer` serves one on a socket, `InProcessCaller` calls one in the same process,
/// and both run each call the same way (`CallDispatcher`): admit, the interceptors, the handler,
/// finish. So a test through `InProcessCaller` sees the server's own rules: a missing token is
/// UNAUTHENTICATED, a passed deadline DEADLINE_EXCEEDED, a shutting-down server UNAVAILABLE.
public struct ServerCore: Sendable {
    public let handlers: RPCHandlers
    /// Run in order before the handler, in reverse after it (`ServerInterceptor`).
    public let interceptors: [any ServerInterceptor]
    /// Begun by the server's graceful shutdown; turns calls away when it is in `interceptors`.
    public let quiescence: Quiescence
    /// Calls running and connections open (the core counts them), and calls answered (when
    /// `RequestMetrics` in the chain shares these stats): what Status reports.
    public let stats: ServerStats

    public init(
        handlers: RPCHandlers, interceptors: [any ServerInterceptor], quiescence: Quiescence = Quiescence(),
        stats: ServerStats = ServerStats()
    ) {
        self.handlers = handlers
        self.interceptors = interceptors
        self.quiescence = quiescence
        self.stats = stats
    }

    /// The chain every Switchyard service runs, in this order: request metrics (so refusals are
    /// counted), quiescing, authentication (when it asks for a token), deadlines, then `adding`.
    public static func standard(
        service: String, handlers: RPCHandlers, authentication: Authentication = .none, deadlines: Deadlines = Deadlines(),
        stats: ServerStats = ServerStats(), adding extra: [any ServerInterceptor] = []
    ) -> ServerCore {
        let quiescence = Quiescence()
        var chain: [any ServerInterceptor] = [RequestMetrics(service: service, methods: handlers.methods, stats: stats), quiescence]
        if authentication.isEnabled { chain.append(authentication) }
        chain.append(deadlines)
        return ServerCore(handlers: handlers, interceptors: chain + extra, quiescence: quiescence, stats: stats)
    }

    /// The transport answered a frame it could not read (on id 0, before any call was made of
    /// it): every interceptor hears of it as a call with an empty method, so the metrics count it.
    func unreadableFrameAnswered(_ status: StatusCode, caller: Caller) {
        let head = CallHead(method: "", id: 0, timeoutMs: 0, caller: caller, token: .string(""))
        for interceptor in interceptors.reversed() { interceptor.finished(head, status: status, elapsed: .zero) }
    }
}
