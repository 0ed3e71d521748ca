import NIOCore
import Wire

/// Calls Switchyard methods: over a socket (`RPCClient`) or straight into handlers in the same
/// process (`InProcessCaller`). Service logic that calls another service takes one of these, so
/// tests can hand it the other service's handlers instead of a socket.
public protocol RPCCaller: Sendable {
    /// Names the callee in errors and logs, e.g. "127.0.0.1:7100".
    var target: String { get }

    /// Calls `method`; `timeout` nil uses the caller's default. Every failure is an `RPCError`:
    /// the callee's status, DEADLINE_EXCEEDED when the timeout passes, UNAVAILABLE when the
    /// callee cannot be reached.
    func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration?
    ) async throws -> Response
}

extension RPCCaller {
    /// Calls `method` with the caller's default timeout.
    public func call<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request) async throws -> Response {
        try await call(method, request, timeout: nil)
    }
}

extension Envelope {
    /// The response message an answer to `method` carries: the callee's error when it failed,
    /// INTERNAL when the body does not decode as the method's response.
    func response<Response: ProtoMessage>(to method: String, from target: String) throws(RPCError) -> Response {
        guard status == .ok else { throw RPCError(status, errorMessage) }
        do {
            return try Response(serialized: body)
        } catch {
            throw RPCError(.internal, "\(method) response from \(target) does not decode")
        }
    }
}

/// A caller that also passes serialized requests through, undecoded: what the coordinator
/// forwards with.
public protocol ForwardingCaller: RPCCaller {
    /// Sends a serialized request body and returns the response Envelope whatever its status.
    /// Fails only when no answer arrives: UNAVAILABLE, DEADLINE_EXCEEDED. With `preferring`, the
    /// future completes on that event loop when the caller can arrange it.
    func callSerialized(
        _ method: String, body: [UInt8], timeout: Duration?, preferring eventLoop: (any EventLoop)?
    ) -> EventLoopFuture<Envelope>

    /// Relays a caller's encoded request (same method and body; this caller's id, `timeout` and
    /// token): `complete` gets the response as it came, still encoded (any status), or why none
    /// came. Called on `eventLoop` with a connection there, nothing is decoded or copied beyond
    /// the frame and `complete` runs on that loop (the coordinator's per-request path).
    func forward(
        _ request: EncodedEnvelope, timeout: Duration?, on eventLoop: any EventLoop, complete: @escaping RelayCompletion)
}
