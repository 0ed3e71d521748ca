import Logging
import NIOCore
import Wire

/// Serves one connection: dispatches each Envelope to its method, writes answers in the order
/// they finish, and turns a broken stream into one error frame and a close. Everything here runs
/// on the connection's event loop.
final class ServerConnectionHandler: ChannelInboundHandler, DeadlineSweeping {
    typealias InboundIn = Envelope
    typealias OutboundOut = ByteBuffer

    /// A request whose answer is not written yet.
    struct Running {
        let id: UInt64
        let method: String
        let started: NIODeadline
        /// The handler's task (cancelled when nobody waits any more); nil for a forwarded request.
        var task: Task<Void, Never>?
        let deadline: NIODeadline?
    }

    private let handlers: RPCHandlers
    private let stats: ServerStats
    private let metrics: RPCMetrics
    private let logger: Logger
    private var framer: EnvelopeFramer
    private var context: ChannelHandlerContext?
    private var caller = Caller(peer: "?")
    /// Requests not answered yet by a connection-local number (callers' ids need not be unique).
    /// Changed only through `track` and `untrack`, which keep the stats in step.
    private var running: [UInt64: Running] = [:]
    /// Fires at the earliest deadline of the running requests.
    var deadlines = DeadlineTimer()
    private var lastNumber: UInt64 = 0
    private var quiescing = false
    private var needsFlush = false
    private var flushScheduled = false
    /// Between the first read of a batch and `channelReadComplete`, which flushes the batch.
    private var inReadBatch = false

    init(handlers: RPCHandlers, wire: WireConfiguration, stats: ServerStats, metrics: RPCMetrics, logger: Logger) {
        self.handlers = handlers
        self.framer = EnvelopeFramer(configuration: wire)
        self.stats = stats
        self.metrics = metrics
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        caller = Caller(peer: context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?")
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        stats.connectionOpened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stats.connectionClosed()
        // Nobody is left to answer: stop the work.
        for request in running.values { request.task?.cancel() }
        stats.requestsRunningChanged(by: -running.count)
        running.removeAll()
        deadlines.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBatch = true
        let request = unwrapInboundIn(data)
        let started = NIODeadline.now()
        if quiescing {
            let error = RPCError(.unavailable, "server is shutting down; retry on another replica")
            return respond(.failure(id: request.id, error), method: request.method, started: started)
        }
        guard let handler = handlers.handler(for: request.method) else {
            let error = RPCError(.unimplemented, "unknown method \"\(request.method)\"")
            return respond(.failure(id: request.id, error), method: request.method, started: started)
        }
        let timeout = request.timeoutMs > 0 ? Duration.milliseconds(request.timeoutMs) : nil
        let requestContext = ServerContext(
            method: request.method, requestID: request.id, deadline: timeout.map { .now + $0 }, caller: caller,
            serverLogger: logger)
        lastNumber += 1
        let number = lastNumber
        track(
            Running(id: request.id, method: request.method, started: started, task: nil,
                    deadline: timeout.map { started + TimeAmount($0) }),
            number: number, on: context.eventLoop)
        switch handler.body {
        case .decoded(let invoke):
            start(invoke, request.body, requestContext, number: number, on: context.eventLoop)
        case .forwarded(let forward):
            let future = forward(request.body, ForwardingContext(request: requestContext, eventLoop: context.eventLoop))
            answer(when: future, number: number, on: context.eventLoop)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            return context.fireUserInboundEventTriggered(event)
        }
        quiescing = true
        closeIfDrained()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? WireError {
            logger.warning("closing connection after a bad frame", metadata: ["error": "\(error)"])
            respond(.failure(id: 0, RPCError(error.statusCode, error.description)), method: "", started: .now())
            flushIfNeeded()
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
        }
        context.close(promise: nil)
    }

    // MARK: - Answers

    /// Runs the handler as a task that starts here, on the event loop: one that never suspends
    /// answers before this returns; one that does is answered when it finishes.
    private func start(
        _ invoke: @escaping @Sendable ([UInt8], ServerContext) async throws -> [UInt8], _ body: [UInt8],
        _ requestContext: ServerContext, number: UInt64, on loop: any EventLoop
    ) {
        let handler = NIOLoopBound(self, eventLoop: loop)
        let task = Task.immediate {
            let result: Result<[UInt8], RPCError>
            do {
                result = .success(try await invoke(body, requestContext))
            } catch {
                result = .failure(RPCError(error))
            }
            if loop.inEventLoop {
                handler.value.finish(number, result)
            } else {
                loop.execute { handler.value.finish(number, result) }
            }
        }
        running[number]?.task = task
    }

    /// Answers when `future` completes (no task: the forwarding path).
    private func answer(when future: EventLoopFuture<[UInt8]>, number: UInt64, on loop: any EventLoop) {
        let handler = NIOLoopBound(self, eventLoop: loop)
        future.hop(to: loop).whenComplete { result in
            handler.value.finish(number, result.mapError { RPCError($0) })
        }
    }

    private func track(_ request: Running, number: UInt64, on loop: any EventLoop) {
        running[number] = request
        stats.requestsRunningChanged(by: 1)
        if let deadline = request.deadline { armDeadlines(by: deadline, on: loop) }
    }

    private func untrack(_ number: UInt64) -> Running? {
        guard let request = running.removeValue(forKey: number) else { return nil }
        stats.requestsRunningChanged(by: -1)
        return request
    }

    var pendingDeadlines: [UInt64: Running] { running }

    static func deadline(of request: Running) -> NIODeadline? { request.deadline }

    private func finish(_ number: UInt64, _ result: Result<[UInt8], RPCError>) {
        guard let request = untrack(number) else { return }  // expired already
        switch result {
        case .success(let body):
            respond(Envelope(id: request.id, body: body), method: request.method, started: request.started)
        case .failure(let error):
            respond(.failure(id: request.id, error), method: request.method, started: request.started)
        }
        if !inReadBatch { scheduleFlush() }
        closeIfDrained()
    }

    /// Answers DEADLINE_EXCEEDED to a request past its deadline and stops its work.
    func expire(_ number: UInt64) {
        guard let request = untrack(number) else { return }
        request.task?.cancel()
        let error = RPCError(.deadlineExceeded, "\(request.method) did not finish within the caller's deadline")
        respond(.failure(id: request.id, error), method: request.method, started: request.started)
        flushIfNeeded()
        closeIfDrained()
    }

    private func respond(_ envelope: Envelope, method: String, started: NIODeadline) {
        guard let context else { return }
        var envelope = envelope
        var frame: ByteBuffer
        do {
            frame = try framer.frame(envelope, allocator: context.channel.allocator)
        } catch {
            envelope = .failure(id: envelope.id, RPCError(.resourceExhausted, "response too large: \(error)"))
            frame = try! framer.frame(envelope, allocator: context.channel.allocator)
        }
        stats.answered(ok: envelope.status == .ok)
        metrics.record(method: method, status: envelope.status, nanoseconds: (NIODeadline.now() - started).nanoseconds)
        context.write(wrapOutboundOut(frame), promise: nil)
        needsFlush = true
    }

    /// Flushes at the end of this event-loop tick: answers that finish together (a burst of
    /// forwarded responses) share one write system call.
    private func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushIfNeeded()
        }
    }

    private func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    private func closeIfDrained() {
        guard quiescing, running.isEmpty, let context else { return }
        flushIfNeeded()
        context.close(promise: nil)
    }
}
