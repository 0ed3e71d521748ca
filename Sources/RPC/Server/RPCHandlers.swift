import NIOCore
import Wire

/// The methods a server answers, by rpc name. The same table serves a socket (`RPCServer`) and
/// calls in the same process (`InProcessCaller`), so service logic is tested without sockets.
public struct RPCHandlers: Sendable {
    @usableFromInline private(set) var table: [String: MethodHandler] = [:]

    public init() {}

    /// Answers `method` with `handler`, an async function of the request and its context.
    ///
    /// The handler starts on the connection's event loop and runs there until it first suspends,
    /// so work that never suspends (Health, Status) is answered with no thread hop; what it
    /// awaits resumes elsewhere. It must therefore not block: CPU work beyond microseconds
    /// belongs on a thread pool. Throwing an `RPCError` answers with its status; any other error
    /// answers INTERNAL. The caller's deadline cancels the handler.
    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        register(method) { request, context in .later { try await handler(request, context) } }
    }

    /// Answers `method` with `handler`, which answers on the event loop when it can (`.now`: no
    /// task is made for the request) and hands back the async work when it cannot (`.later`, run
    /// as `register`'s handlers are): the router's Route, answered at once for a vector and after
    /// the embedding for a prompt. The same rules as `register`: `.now` work must take
    /// microseconds, never block. Inlinable, so the decoding and encoding around `handler` are
    /// specialised for the caller's message types (no generic metadata looked up per request).
    @inlinable
    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        answering handler: @escaping @Sendable (Request, ServerContext) throws -> Answer<Response>
    ) {
        table[method.name] = MethodHandler(name: method.name, body: .decoded { body, context in
            let request: Request
            do {
                request = try Request(serialized: body)
            } catch {
                throw RPCError(.invalidArgument, "request body does not decode as \(Request.protoName)")
            }
            switch try handler(request, context) {
            case .now(let response): return .now(response.serializedBytes())
            case .later(let work): return .later { try await work().serializedBytes() }
            }
        })
    }

    /// Answers `method` by relaying: `handler` gets the request as its encoded Envelope (read
    /// in place, not decoded) and answers with another encoded Envelope (a replica's response,
    /// passed on with only its id changed) or an error: the coordinator's forwarding path, with
    /// no protobuf-c, no copy of the body, no task, no future and no thread hop per request (the
    /// one place service logic sees an event loop). The handler runs on the connection's event
    /// loop, must not block, and calls `respond` once, preferably on that loop.
    public mutating func registerForwarding<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (_ request: EncodedEnvelope, ForwardingContext, _ respond: @escaping Respond) -> Void
    ) {
        table[method.name] = MethodHandler(name: method.name, body: .forwarded(handler))
        forwardsAny = true
    }

    /// Answers `method` with `error` whatever the request: for an rpc this service's protocol
    /// neighbours answer (the router's Reload sent to the coordinator), so a caller learns where
    /// to call instead of reading "unknown method".
    public mutating func refuse(_ method: String, with error: RPCError) {
        table[method] = MethodHandler(name: method, body: .decoded { _, _ in throw error })
    }

    /// Whether any method is relayed (the server then reads each request's method in place first).
    private(set) var forwardsAny = false

    /// The handler of `method`, if registered.
    func handler(for method: String) -> MethodHandler? { table[method] }

    /// Registered rpc names.
    public var methods: [String] { table.keys.sorted() }
}

/// How a forwarding handler answers: the encoded response Envelope to pass on (any status), or
/// the error to answer with.
public typealias Respond = @Sendable (Result<EncodedEnvelope, RPCError>) -> Void

/// What a forwarding handler knows: the request's context and the event loop to stay on.
public struct ForwardingContext: Sendable {
    public let request: ServerContext
    public let eventLoop: any EventLoop
}

/// A handler's answer: given now, on the event loop, or by async work still to run.
public enum Answer<Response: Sendable>: Sendable {
    case now(Response)
    case later(@Sendable () async throws -> Response)
}

/// A registered method with its types erased to serialized bytes.
@usableFromInline
struct MethodHandler: Sendable {
    @usableFromInline
    enum Body: Sendable {
        /// Decodes the request and answers it now, or says what to run for the answer.
        case decoded(@Sendable ([UInt8], ServerContext) throws -> Answer<[UInt8]>)
        case forwarded(@Sendable (EncodedEnvelope, ForwardingContext, @escaping Respond) -> Void)
    }

    let name: String
    let body: Body

    @usableFromInline
    init(name: String, body: Body) {
        self.name = name
        self.body = body
    }
}
