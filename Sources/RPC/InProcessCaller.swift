import Logging
import NIOCore
import NIOPosix
import Wire

/// Calls a service's handlers in the same process, with no socket: requests and responses are
/// still serialized with protobuf-c (so a test exercises the codec too), deadlines are enforced
/// and errors come back as they would over the wire. What grpc-swift-2's in-process transport is
/// to gRPC services: how service logic is unit-tested.
public struct InProcessCaller: ForwardingCaller {
    public let target: String
    private let handlers: RPCHandlers
    private let caller: Caller
    private let logger: Logger
    private let defaultTimeout: Duration?

    /// - Parameters:
    ///   - handlers: the service's methods.
    ///   - target: names the service in errors.
    ///   - caller: who the handlers see calling.
    public init(
        _ handlers: RPCHandlers, target: String = "in-process", caller: Caller = .inProcess,
        defaultTimeout: Duration? = .seconds(30), logger: Logger = Logger(label: "switchyard.in-process")
    ) {
        self.handlers = handlers
        self.target = target
        self.caller = caller
        self.defaultTimeout = defaultTimeout
        self.logger = logger
    }

    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration?
    ) async throws -> Response {
        let envelope = await answer(method.name, body: request.serializedBytes(), timeout: timeout)
        guard envelope.status == .ok else { throw RPCError(envelope.status, envelope.errorMessage) }
        return try Response(serialized: envelope.body)
    }

    public func callSerialized(
        _ method: String, body: [UInt8], timeout: Duration?, preferring eventLoop: (any EventLoop)?
    ) -> EventLoopFuture<Envelope> {
        let promise = (eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()).makePromise(of: Envelope.self)
        promise.completeWithTask { await answer(method, body: body, timeout: timeout) }
        return promise.futureResult
    }

    public func forward(
        _ request: EncodedEnvelope, timeout: Duration?, on eventLoop: any EventLoop, complete: @escaping RelayCompletion
    ) {
        Task {
            do {
                let decoded = try request.decoded()
                var response = await answer(decoded.method, body: decoded.body, timeout: timeout)
                response.id = decoded.id
                complete(.success(try Self.encoded(response)))
            } catch {
                complete(.failure(RPCError(error)))
            }
        }
    }

    /// `envelope` as the bytes a relay would have received.
    static func encoded(_ envelope: Envelope) throws(WireError) -> EncodedEnvelope {
        try EncodedEnvelope(payload: ByteBuffer(bytes: envelope.serializedBytes()))
    }

    /// The response Envelope to a serialized request, whatever its status.
    private func answer(_ method: String, body: [UInt8], timeout: Duration?) async -> Envelope {
        guard let handler = handlers.handler(for: method) else {
            return .failure(id: 0, RPCError(.unimplemented, "unknown method \"\(method)\""))
        }
        let timeout = timeout ?? defaultTimeout
        let context = ServerContext(
            method: method, requestID: 0, deadline: timeout.map { .now + $0 }, caller: caller, serverLogger: logger)
        do {
            let response = try await Self.withTimeout(timeout, method: method) {
                switch handler.body {
                case .decoded(let invoke):
                    switch try invoke(body, context) {
                    case .now(let response): return response
                    case .later(let work): return try await work()
                    }
                case .forwarded(let forward):
                    let loop = MultiThreadedEventLoopGroup.singleton.any()
                    let request = try Self.encoded(Envelope(id: 1, method: method, body: body))
                    let response = try await withCheckedThrowingContinuation { continuation in
                        forward(request, ForwardingContext(request: context, eventLoop: loop)) { continuation.resume(with: $0) }
                    }.decoded()
                    guard response.status == .ok else { throw RPCError(response.status, response.errorMessage) }
                    return response.body
                }
            }
            return Envelope(body: response)
        } catch {
            return .failure(id: 0, RPCError(error))
        }
    }

    /// `work`'s result, or DEADLINE_EXCEEDED (with `work` cancelled) when `timeout` passes first.
    static func withTimeout<T: Sendable>(
        _ timeout: Duration?, method: String, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let timeout else { return try await work() }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RPCError(.deadlineExceeded, "\(method) did not finish within the caller's deadline")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
