import Logging
import NIOCore
import Wire

/// Serves one connection: reads frames, dispatches each Envelope to its method, writes answers
/// in the order they finish. What the connection may do (limits, timeouts, when to stop reading,
/// when to close) is decided by `ServerConnectionState`; this handler feeds it events and carries
/// out its actions. A broken stream gets one error frame on id 0, and the requests read before it
/// are still answered before the close. Everything here runs on the connection's event loop.
final class ServerConnectionHandler: ChannelDuplexHandler, DeadlineSweeping {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
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
    private let authentication: Authentication
    private let frameBudget: FrameBudget
    private var framer: EnvelopeFramer
    private var wire: WireConfiguration
    private var state: ServerConnectionState
    /// Bytes received and not yet taken as frames.
    private var inbound: InboundFrames
    /// Bytes of `frameBudget` held for the frame now arriving.
    private var reservedForFrame = 0
    /// A read the channel asked for while reading was paused.
    private var readPending = false
    /// Inside `decodeFrames` (an answer given synchronously must not start another pass).
    private var decoding = false
    private var connectionTimer: Scheduled<Void>?
    private var connectionTimerAt: ContinuousClock.Instant?
    private var context: ChannelHandlerContext?
    private var caller = Caller(peer: "?")
    /// Requests not answered yet by a connection-local number (callers' ids need not be unique).
    /// Changed only through `track` and `untrack`, which keep the stats in step.
    private var running: [UInt64: Running] = [:]
    /// Fires at the earliest deadline of the running requests.
    var deadlines = DeadlineTimer()
    private var lastNumber: UInt64 = 0
    /// Answers framed and not yet handed to the channel (written at the flush).
    private var outbound = OutboundBatch()
    private var needsFlush = false
    private var flushScheduled = false
    /// Between the first read of a batch and `channelReadComplete`, which flushes the batch.
    private var inReadBatch = false

    init(
        handlers: RPCHandlers, wire: WireConfiguration, limits: ConnectionLimits, authentication: Authentication,
        frameBudget: FrameBudget, stats: ServerStats, metrics: RPCMetrics, logger: Logger
    ) {
        self.handlers = handlers
        self.framer = EnvelopeFramer(configuration: wire)
        self.inbound = InboundFrames(configuration: wire)
        self.wire = wire
        self.state = ServerConnectionState(limits: limits, now: .now)
        self.authentication = authentication
        self.frameBudget = frameBudget
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
        armConnectionTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stats.connectionClosed()
        state.closed()
        // Nobody is left to answer: stop the work.
        for request in running.values { request.task?.cancel() }
        stats.requestsRunningChanged(by: -running.count)
        running.removeAll()
        deadlines.cancel()
        connectionTimer?.cancel()
        releaseFrameReservation()
        inbound.discard()
        context.fireChannelInactive()
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBatch = true
        inbound.append(unwrapInboundIn(data))
        decodeFrames()
    }

    /// Dispatches the complete frames in `inbound` while the state allows, and accounts for the
    /// partial one at its end.
    private func decodeFrames() {
        guard !decoding else { return }
        decoding = true
        defer { decoding = false }
        while state.canDispatch {
            do {
                guard let payload = try inbound.nextPayload() else { break }
                releaseFrameReservation()
                if handlers.forwardsAny {
                    let request = try EncodedEnvelope(payload: payload)
                    if let handler = handlers.handler(for: request.method), case .forwarded(let forward) = handler.body {
                        dispatch(relayed: request, to: forward)
                        continue
                    }
                    dispatch(try request.decoded())
                } else {
                    dispatch(try Envelope(serialized: payload))
                }
            } catch {
                let wireError = error as? WireError
                return unreadable(wireError?.statusCode ?? .invalidArgument, wireError?.description ?? "\(error)")
            }
        }
        inbound.compact()
        let partial = state.canDispatch && (inbound.pending?.readableBytes ?? 0) > 0
        state.bytesArrived(partialFrame: partial, now: .now)
        if partial, !reserveForPartialFrame() { return }
        armConnectionTimer()
    }

    /// Holds budget for the frame arriving at the end of `inbound`, at the size its header
    /// announces; false (and the connection failed) when the server's budget has no room.
    private func reserveForPartialFrame() -> Bool {
        guard reservedForFrame == 0, let buffer = inbound.pending,
              let header = try? FrameHeader.peek(buffer, maxFrameSize: wire.maxFrameSize)
        else { return true }
        let size = FrameHeader.size + header.length
        guard frameBudget.reserve(size) else {
            unreadable(.resourceExhausted, "the server holds too many partly received frames (\(frameBudget.capacity) bytes); retry later")
            return false
        }
        reservedForFrame = size
        return true
    }

    private func releaseFrameReservation() {
        frameBudget.release(reservedForFrame)
        reservedForFrame = 0
    }

    /// The frame at the head of `inbound` cannot be read: answer id 0, stop reading, and close
    /// once the requests read before it are answered.
    private func unreadable(_ code: StatusCode, _ message: String) {
        logger.warning("bad frame: answering what was read, then closing", metadata: ["error": "\(message)"])
        inbound.discard()
        releaseFrameReservation()
        perform(state.unreadableFrame(code, message, now: .now))
    }

    private func dispatch(_ request: Envelope) {
        let refusal = authentication.check(method: request.method, token: request.authToken)
        let handler = handlers.handler(for: request.method)
        guard let (number, requestContext, loop) = admit(
            id: request.id, method: request.method, timeoutMs: request.timeoutMs, known: handler != nil, refusal: refusal),
            let handler
        else { return }
        switch handler.body {
        case .decoded(let invoke):
            do {
                switch try invoke(request.body, requestContext) {
                case .now(let response): finish(number, .success(response))
                case .later(let work): start(work, number: number, on: loop)
                }
            } catch {
                finish(number, .failure(RPCError(error)))
            }
        case .forwarded:
            // Relayed methods arrive through `dispatch(relayed:)`; a decoded one cannot be relayed.
            finish(number, .failure(RPCError(.internal, "\(request.method) is relayed but arrived decoded")))
        }
    }

    /// A relayed request: passed on as its encoded Envelope, answered with the one that comes back.
    private func dispatch(
        relayed request: EncodedEnvelope, to forward: @Sendable (EncodedEnvelope, ForwardingContext, @escaping Respond) -> Void
    ) {
        let refusal = request.withAuthToken { authentication.check(method: request.method, token: $0) }
        guard let (number, requestContext, loop) = admit(
            id: request.id, method: request.method, timeoutMs: request.timeoutMs, known: true, refusal: refusal)
        else { return }
        forward(request, ForwardingContext(request: requestContext, eventLoop: loop), finisher(number, on: loop) { $0.finishRelayed($1, $2) })
    }

    /// Checks that a request may run (its token, the server not shutting down, a method this
    /// server knows, looked up once by the caller) and starts tracking it; nil when it was
    /// answered with an error instead.
    private func admit(
        id: UInt64, method: String, timeoutMs: UInt32, known: Bool, refusal: RPCError?
    ) -> (UInt64, ServerContext, any EventLoop)? {
        guard let context else { return nil }
        let started = NIODeadline.now()
        if let refusal {
            respond(.failure(id: id, refusal), method: method, started: started)
            return nil
        }
        if state.isQuiescing {
            respond(.failure(id: id, RPCError(.unavailable, "server is shutting down; retry on another replica")), method: method, started: started)
            return nil
        }
        guard known else {
            respond(.failure(id: id, RPCError(.unimplemented, "unknown method \"\(method)\"")), method: method, started: started)
            return nil
        }
        let timeout = timeoutMs > 0 ? Duration.milliseconds(timeoutMs) : nil
        let requestContext = ServerContext(
            method: method, requestID: id, deadline: timeout.map { .now + $0 }, caller: caller, serverLogger: logger)
        lastNumber += 1
        perform(state.requestStarted(now: .now))
        track(
            Running(id: id, method: method, started: started, task: nil, deadline: timeout.map { started + TimeAmount($0) }),
            number: lastNumber, on: context.eventLoop)
        return (lastNumber, requestContext, context.eventLoop)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    /// Passes the channel's reads on unless the state has paused reading (backpressure).
    func read(context: ChannelHandlerContext) {
        if state.canDispatch, context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        perform(state.writabilityChanged(context.channel.isWritable, now: .now))
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            return context.fireUserInboundEventTriggered(event)
        }
        perform(state.quiesce(now: .now))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - What the state machine says

    private func perform(_ actions: [ServerConnectionState.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: ServerConnectionState.Action) {
        guard let context else { return }
        switch action {
        case .none, .pauseReading:
            break  // `read` holds the next read while the state says not to
        case .resumeReading:
            decodeFrames()  // frames already buffered first
            if readPending, state.canDispatch {
                readPending = false
                context.read()
            }
        case .failFrame(let code, let message):
            respond(.failure(id: 0, RPCError(code, message)), method: "", started: .now())
            flushIfNeeded()
            armConnectionTimer()
        case .close(let reason):
            logger.debug("closing connection", metadata: ["reason": "\(reason)"])
            flushIfNeeded()
            context.close(promise: nil)
        }
    }

    /// Keeps one timer armed for the state's next check (frame-read timeout, idle timeout, drain).
    private func armConnectionTimer() {
        guard let context, let next = state.nextCheck() else { return }
        if let at = connectionTimerAt, at <= next { return }
        connectionTimer?.cancel()
        connectionTimerAt = next
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let delay = ContinuousClock.now.duration(to: next)
        connectionTimer = context.eventLoop.scheduleTask(in: TimeAmount(max(delay, .zero))) {
            handler.value.connectionTimerFired()
        }
    }

    private func connectionTimerFired() {
        connectionTimer = nil
        connectionTimerAt = nil
        perform(state.timerFired(now: .now))
        armConnectionTimer()
    }

    // MARK: - Answers

    /// Runs the handler as a task that starts here, on the event loop: one that never suspends
    /// answers before this returns; one that does is answered when it finishes.
    private func start(_ work: @escaping @Sendable () async throws -> [UInt8], number: UInt64, on loop: any EventLoop) {
        let finish = finisher(number, on: loop) { $0.finish($1, $2) }
        let task = Task.immediate {
            do {
                finish(.success(try await work()))
            } catch {
                finish(.failure(RPCError(error)))
            }
        }
        running[number]?.task = task
    }

    /// What answers request `number` from any thread with `finish`: at once on `loop`, else by
    /// hopping to it.
    private func finisher<Answer: Sendable>(
        _ number: UInt64, on loop: any EventLoop,
        _ finish: @escaping @Sendable (ServerConnectionHandler, UInt64, Answer) -> Void
    ) -> @Sendable (Answer) -> Void {
        let handler = NIOLoopBound(self, eventLoop: loop)
        return { answer in
            if loop.inEventLoop {
                finish(handler.value, number, answer)
            } else {
                loop.execute { finish(handler.value, number, answer) }
            }
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

    /// After an answer is written: the state may resume reading, or close a draining connection.
    private func requestDone() {
        let action = state.requestFinished(now: .now)
        if case .close = action { flushIfNeeded() }
        perform(action)
        armConnectionTimer()
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
        answered()
    }

    /// Passes a relayed answer on under the caller's id, its other bytes as they came.
    private func finishRelayed(_ number: UInt64, _ result: Result<EncodedEnvelope, RPCError>) {
        guard let request = untrack(number), let context else { return }
        switch result {
        case .success(let response):
            do {
                try outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in
                    try framer.append(relaying: response, id: request.id, to: &buffer)
                }
                answered(status: response.status, method: request.method, started: request.started)
            } catch {
                respond(.failure(id: request.id, RPCError(.resourceExhausted, "response too large: \(error)")), method: request.method, started: request.started)
            }
        case .failure(let error):
            respond(.failure(id: request.id, error), method: request.method, started: request.started)
        }
        answered()
    }

    /// After an answer is written: flush with the tick, and let the state go on.
    private func answered() {
        if !inReadBatch { scheduleFlush() }
        requestDone()
    }

    /// Answers DEADLINE_EXCEEDED to a request past its deadline and stops its work.
    func expire(_ number: UInt64) {
        guard let request = untrack(number) else { return }
        request.task?.cancel()
        let error = RPCError(.deadlineExceeded, "\(request.method) did not finish within the caller's deadline")
        respond(.failure(id: request.id, error), method: request.method, started: request.started)
        flushIfNeeded()
        requestDone()
    }

    private func respond(_ envelope: Envelope, method: String, started: NIODeadline) {
        guard let context else { return }
        do {
            try outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in
                try framer.append(envelope, to: &buffer)
            }
            answered(status: envelope.status, method: method, started: started)
        } catch {
            let tooLarge = Envelope.failure(id: envelope.id, RPCError(.resourceExhausted, "response too large: \(error)"))
            respond(tooLarge, method: method, started: started)
        }
    }

    /// Counts an answer put in the outbound batch and asks for the flush that writes it.
    private func answered(status: StatusCode, method: String, started: NIODeadline) {
        stats.answered(ok: status == .ok)
        metrics.record(method: method, status: status, nanoseconds: (NIODeadline.now() - started).nanoseconds)
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
        if let frames = outbound.take() { context.write(wrapOutboundOut(frames), promise: nil) }
        context.flush()
    }
}
