import Logging
import NIOCore
import NIOPosix
import Wire

/// Calls a `ServerCore` in the same process, with no socket: what grpc-swift-2's in-process
/// transport is to gRPC services, and how service logic is unit-tested. A call goes through the
/// core exactly as one from a socket does (the same `CallDispatcher`: the interceptors, the
/// handler answering now, later or by relaying, the deadline timer), with its request and
/// response serialized by protobuf-c; only the framing is skipped. Each call is its own
/// connection on an event loop.
public struct InProcessCaller: ForwardingCaller {
    public let target: String
    /// The server side: handlers and interceptors.
    public let core: ServerCore
    private let caller: Caller
    private let authToken: String
    private let logger: Logger
    private let defaultTimeout: Duration?

    /// - Parameters:
    ///   - core: the server to call, with its interceptors.
    ///   - target: names the service in errors.
    ///   - caller: who the handlers see calling.
    ///   - authToken: sent with every call, as a client's `authToken` is.
    ///   - defaultTimeout: the timeout of calls that give none (sent as the Envelope's).
    public init(
        _ core: ServerCore, target: String = "in-process", caller: Caller = .inProcess, authToken: String = "",
        defaultTimeout: Duration? = .seconds(30), logger: Logger = Logger(label: "switchyard.in-process")
    ) {
        self.core = core
        self.target = target
        self.caller = caller
        self.authToken = authToken
        self.defaultTimeout = defaultTimeout
        self.logger = logger
    }

    /// Calls `handlers` behind the standard interceptors (`ServerCore.standard`, no tokens).
    public init(
        _ handlers: RPCHandlers, target: String = "in-process", caller: Caller = .inProcess,
        defaultTimeout: Duration? = .seconds(30), logger: Logger = Logger(label: "switchyard.in-process")
    ) {
        self.init(
            .standard(service: target, handlers: handlers), target: target, caller: caller, defaultTimeout: defaultTimeout,
            logger: logger)
    }

    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration?
    ) async throws -> Response {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let answer = try await answer(to: envelope(method.name, body: request.serializedBytes(), timeout: timeout), on: loop)
        return try answer.decoded().response(to: method.name, from: target)
    }

    public func callSerialized(
        _ method: String, body: [UInt8], timeout: Duration?, preferring eventLoop: (any EventLoop)?
    ) -> EventLoopFuture<Envelope> {
        let loop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        let promise = loop.makePromise(of: Envelope.self)
        promise.completeWithTask { try await answer(to: envelope(method, body: body, timeout: timeout), on: loop).decoded() }
        return promise.futureResult
    }

    public func forward(
        _ request: EncodedEnvelope, timeout: Duration?, on eventLoop: any EventLoop, complete: @escaping RelayCompletion
    ) {
        eventLoop.execute {
            do {
                var relayed = try request.decoded()
                relayed.timeoutMs = Self.milliseconds(timeout ?? defaultTimeout)
                relayed.authToken = authToken
                let connection = InProcessConnection(core: core, caller: caller, eventLoop: eventLoop, logger: logger) { answer in
                    do {
                        complete(.success(try EncodedEnvelope(encoding: answer.with(id: request.id))))
                    } catch {
                        complete(.failure(RPCError(error)))
                    }
                }
                try connection.send(EncodedEnvelope(encoding: relayed))
            } catch {
                complete(.failure(RPCError(error)))
            }
        }
    }

    /// The request Envelope, encoded as a socket would carry it.
    private func envelope(_ method: String, body: [UInt8], timeout: Duration?) throws(WireError) -> EncodedEnvelope {
        try EncodedEnvelope(encoding: Envelope(
            id: 1, method: method, timeoutMs: Self.milliseconds(timeout ?? defaultTimeout), body: body, authToken: authToken))
    }

    /// The answer to `request`, on a connection of its own on `loop`; a cancelled caller closes it
    /// (the handler is cancelled, as when a client's connection drops).
    private func answer(to request: EncodedEnvelope, on loop: any EventLoop) async throws -> InProcessConnection.Answer {
        let promise = loop.makePromise(of: InProcessConnection.Answer.self)
        let connection = loop.submit {
            let connection = InProcessConnection(core: core, caller: caller, eventLoop: loop, logger: logger) { promise.succeed($0) }
            do {
                try connection.send(request)
            } catch {
                promise.fail(RPCError(error))
            }
            return NIOLoopBound(connection, eventLoop: loop)
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            connection.whenSuccess { $0.value.close() }
            promise.fail(RPCError(.cancelled, "the caller stopped waiting"))
        }
    }

    private static func milliseconds(_ timeout: Duration?) -> UInt32 {
        guard let timeout else { return 0 }
        let ms = (TimeAmount(timeout).nanoseconds + 999_999) / 1_000_000
        return UInt32(clamping: max(1, ms))
    }
}

/// One in-process call's connection: the transport end of a `CallDispatcher`, handing the one
/// answer to a callback instead of writing a frame.
final class InProcessConnection: CallTransport {
    /// The answer: decoded, or relayed as it came (still encoded).
    enum Answer: Sendable {
        case envelope(Envelope)
        case relayed(EncodedEnvelope)

        func decoded() throws(RPCError) -> Envelope {
            switch self {
            case .envelope(let envelope): return envelope
            case .relayed(let encoded):
                do { return try encoded.decoded() } catch { throw RPCError(.internal, "a relayed answer does not decode: \(error)") }
            }
        }

        func with(id: UInt64) -> Envelope {
            var envelope = (try? decoded()) ?? .failure(id: id, RPCError(.internal, "a relayed answer does not decode"))
            envelope.id = id
            return envelope
        }
    }

    private var dispatcher: CallDispatcher<InProcessConnection>?
    private let answered: @Sendable (Answer) -> Void

    init(core: ServerCore, caller: Caller, eventLoop: any EventLoop, logger: Logger, answered: @escaping @Sendable (Answer) -> Void) {
        self.answered = answered
        dispatcher = CallDispatcher(core: core, transport: self, caller: caller, eventLoop: eventLoop, logger: logger)
    }

    /// Runs the request (on the event loop); throws when it does not decode.
    func send(_ request: EncodedEnvelope) throws(WireError) {
        guard let dispatcher else { return }
        try dispatcher.receive(encoded: request)
    }

    /// The caller went away: the call's work stops.
    func close() {
        dispatcher?.close()
        dispatcher = nil
    }

    func callStarted() {}

    /// The one answer: handed over, and the connection is done.
    func send(_ answer: Envelope) -> StatusCode {
        answered(.envelope(answer))
        close()
        return answer.status
    }

    func send(relayed answer: EncodedEnvelope, id: UInt64) -> StatusCode {
        answered(.relayed(answer))
        close()
        return answer.status
    }

    func callFinished() {}
}
