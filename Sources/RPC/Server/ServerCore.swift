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
    /// `interceptors` split for the dispatcher: those that admit and those that observe ends.
    let chain: InterceptorChain

    public init(
        handlers: RPCHandlers, interceptors: [any ServerInterceptor], quiescence: Quiescence = Quiescence(),
        stats: ServerStats = ServerStats()
    ) {
        self.handlers = handlers
        self.interceptors = interceptors
        self.quiescence = quiescence
        self.stats = stats
        self.chain = InterceptorChain(interceptors)
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
        for interceptor in chain.finishing.reversed() { interceptor.finished(head, status: status, nanoseconds: 0) }
    }
}

/// A chain of interceptors as the dispatcher walks it: the ones whose `admit` does something, in
/// order, and the ones whose `finished` does, each with its position in the whole chain (the
/// standard chain's quiescing, authentication and deadlines only admit; the metrics only watch
/// ends: three calls and one per request, not eight).
struct InterceptorChain: Sendable {
    let admitting: [any ServerInterceptor]
    /// Each admitting interceptor's position in the whole chain.
    let admittingPositions: [Int]
    let finishing: [any ServerInterceptor]
    let finishingPositions: [Int]
    let count: Int

    init(_ interceptors: [any ServerInterceptor]) {
        let admitting = interceptors.indices.filter { interceptors[$0].admits }
        let finishing = interceptors.indices.filter { interceptors[$0].observesFinish }
        self.admitting = admitting.map { interceptors[$0] }
        admittingPositions = admitting
        self.finishing = finishing.map { interceptors[$0] }
        finishingPositions = finishing
        count = interceptors.count
    }
}
