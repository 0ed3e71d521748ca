import NIOCore
import Wire

/// What completes a call: its response Envelope (any status), or why none came. Called once, on
/// the connection's event loop.
typealias CallCompletion = @Sendable (Result<Envelope, RPCError>) -> Void

/// What completes a relayed call: the response as it came, still encoded (any status), or why
/// none came. Called once, on the connection's event loop.
public typealias RelayCompletion = @Sendable (Result<EncodedEnvelope, RPCError>) -> Void

/// What a call sends: a method and its serialized request (framed with protobuf-c), or a
/// caller's encoded request relayed with a new id, deadline and token.
enum CallRequest: Sendable {
    case call(method: String, body: [UInt8], trace: TraceContext?)
    case relay(EncodedEnvelope)

    var method: String {
        switch self {
        case .call(let method, _, _): method
        case .relay(let request): request.method
        }
    }
}

/// Who is told the answer, and in which form.
enum CallCompleter: Sendable {
    case decoded(CallCompletion)
    case relayed(RelayCompletion)

    func fail(_ error: RPCError) {
        switch self {
        case .decoded(let complete): complete(.failure(error))
        case .relayed(let complete): complete(.failure(error))
        }
    }

    func answer(_ response: EncodedEnvelope, from peer: String) {
        switch self {
        case .relayed(let complete):
            complete(.success(response))
        case .decoded(let complete):
            do {
                complete(.success(try response.decoded()))
            } catch {
                complete(.failure(RPCError(.internal, "the response from \(peer) does not decode: \(error)")))
            }
        }
    }
}

/// A call on its way to a connection: what to send and what to call with its response. Made by
/// the caller, then touched only on the connection's event loop.
final class OutboundCall: @unchecked Sendable {
    let request: CallRequest
    let timeout: TimeAmount?
    let completer: CallCompleter
    /// Set on the event loop once the handler owns the call (and so will complete it).
    var accepted = false

    init(_ request: CallRequest, timeout: TimeAmount?, completer: CallCompleter) {
        self.request = request
        self.timeout = timeout
        self.completer = completer
    }
}

/// The client end of one connection: numbers outgoing calls, matches responses to them by id
/// (in any order), enforces each call's timeout, and fails every call still waiting when the
/// connection ends. When the connection is open, whether a silent peer is pinged and when it is
/// declared dead are decided by `ClientConnectionState`; this handler feeds it events, timed by
/// the event loop's clock (`EventLoop.now`: virtual time on an embedded loop), and carries out
/// its actions. Runs on the connection's event loop.
final class ClientConnectionHandler: ChannelDuplexHandler, DeadlineSweeping {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundCall
    typealias OutboundOut = ByteBuffer

    struct Waiting {
        let method: String
        let completer: CallCompleter
        let timeout: TimeAmount?
        let deadline: NIODeadline?
    }

    private let peer: String
    private var framer: EnvelopeFramer
    /// The responses' bytes as they arrive, and the frames taken from them (a frame is answered
    /// where it is read, not passed along the pipeline first).
    private var inbound: InboundFrames
    private var waiting: [UInt64: Waiting] = [:]
    private var lastID: UInt64 = 0
    private var state: ClientConnectionState
    /// A flush is queued for the end of this event-loop tick.
    private var flushPending = false
    /// Requests framed and not yet handed to the channel (written at the flush).
    private var outbound = OutboundBatch()
    /// Fires at the earliest deadline of the calls waiting.
    var deadlines = DeadlineTimer()
    private var context: ChannelHandlerContext?

    /// Sent with every request ("" = none).
    private let authToken: String
    private let authTokenBytes: [UInt8]
    private var keepaliveCheck: Scheduled<Void>?

    init(peer: String, wire: WireConfiguration, authToken: String = "", keepalive: Keepalive? = nil) {
        self.peer = peer
        self.framer = EnvelopeFramer(configuration: wire)
        self.inbound = InboundFrames(configuration: wire)
        self.authToken = authToken
        self.authTokenBytes = Array(authToken.utf8)
        self.state = ClientConnectionState(keepalive: keepalive)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { perform(state.connected(now: context.eventLoop.now), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(state.connected(now: context.eventLoop.now), context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        keepaliveCheck?.cancel()
        keepaliveCheck = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        call.accepted = true
        send(call.request, timeout: call.timeout, completer: call.completer, context: context, promise: promise)
    }

    /// Sends a call from the event loop without passing it through the pipeline as a value (no
    /// `OutboundCall`, no type-erased `NIOAny`): the connection's fast path.
    func send(_ request: CallRequest, timeout: TimeAmount?, completer: CallCompleter) {
        guard let context else { return completer.fail(RPCError(.unavailable, "connection to \(peer) closed")) }
        send(request, timeout: timeout, completer: completer, context: context, promise: nil)
    }

    private func send(
        _ request: CallRequest, timeout: TimeAmount?, completer: CallCompleter,
        context: ChannelHandlerContext, promise: EventLoopPromise<Void>?
    ) {
        guard state.canSend else {
            completer.fail(RPCError(.unavailable, "connection to \(peer) closed"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        lastID &+= 1
        let id = lastID
        let timeoutMs = timeout.map(Self.milliseconds) ?? 0
        do {
            try outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in
                switch request {
                case .call(let method, let body, let trace):
                    let envelope = Envelope(id: id, method: method, timeoutMs: timeoutMs, body: body, authToken: authToken, trace: trace)
                    try framer.append(envelope, to: &buffer)
                case .relay(let caller):
                    try framer.append(
                        relaying: caller, id: id, request: .init(timeoutMs: timeoutMs, authToken: authTokenBytes), to: &buffer)
                }
            }
        } catch {
            completer.fail(RPCError(error.statusCode, "request not sent: \(error)"))
            promise?.fail(error)
            return
        }
        let now = context.eventLoop.now
        let deadline = timeout.map { now + $0 }
        waiting[id] = Waiting(method: request.method, completer: completer, timeout: timeout, deadline: deadline)
        perform(state.callSent(now: now), context: context)
        if let deadline { armDeadlines(by: deadline, on: context.eventLoop) }
        // The frame goes out with the batch at the end of this tick. A write that fails closes
        // the connection, which fails every waiting call: no promise per write is needed to
        // learn of it, and the caller's promise only says the handler took the call.
        promise?.succeed(())
        scheduleFlush(context)
    }

    /// Flushes once after every call written in this tick of the event loop: pipelined calls
    /// share one write system call instead of one each.
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        context.eventLoop.assumeIsolated().execute {
            self.flushPending = false
            if let frames = self.outbound.take() { context.write(self.wrapOutboundOut(frames), promise: nil) }
            context.flush()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state.keepalive != nil { state.bytesRead(now: context.eventLoop.now) }
        context.fireChannelReadComplete()
    }

    // MARK: - What the state machine says

    private func perform(_ action: ClientConnectionState.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .scheduleCheck(let at):
            scheduleKeepaliveCheck(context, at: at)
        case .sendPing(let at):
            sendPing(context)
            scheduleKeepaliveCheck(context, at: at)
        case .failAllAndClose(let error):
            failAll(error)
            context.close(promise: nil)
        }
    }

    private func scheduleKeepaliveCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        keepaliveCheck?.cancel()
        let owner = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        keepaliveCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            owner.value.keepaliveCheckFired(boundContext.value)
        }
    }

    private func keepaliveCheckFired(_ context: ChannelHandlerContext) {
        keepaliveCheck = nil
        perform(state.timerFired(now: context.eventLoop.now, peer: peer), context: context)
    }

    /// A Health request no call waits for: any byte that arrives after it answers it.
    private func sendPing(_ context: ChannelHandlerContext) {
        lastID &+= 1
        let ping = Envelope(id: lastID, method: Methods.health.name, timeoutMs: 0, body: [], authToken: authToken)
        try? outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in try framer.append(ping, to: &buffer) }
        scheduleFlush(context)
    }

    // MARK: - Answers

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.append(unwrapInboundIn(data))
        do {
            while let payload = try inbound.nextPayload() {
                try answer(EncodedEnvelope(payload: payload), context: context)
            }
        } catch {
            inbound.discard()
            return errorCaught(context: context, error: error)
        }
        inbound.compact()
    }

    /// Completes the call a response answers.
    private func answer(_ response: EncodedEnvelope, context: ChannelHandlerContext) {
        if response.id == 0, response.status != .ok {
            // The server could not read our stream and is closing the connection.
            return perform(state.refusedByServer(RPCError(response.status, "\(peer): \(response.errorMessage)")), context: context)
        }
        guard let entry = waiting.removeValue(forKey: response.id) else { return }  // timed out already, or a ping
        state.callEnded()
        entry.completer.answer(response, from: peer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed()
        keepaliveCheck?.cancel()
        keepaliveCheck = nil
        if let error = inbound.endOfStream {  // the connection ended inside a frame
            failAll(RPCError(error.statusCode, "connection to \(peer) failed: \(error)"))
        }
        inbound.discard()
        failAll(RPCError(.unavailable, "connection to \(peer) closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let status = (error as? WireError)?.statusCode ?? .unavailable
        state.closed()
        failAll(RPCError(status, "connection to \(peer) failed: \(error)"))
        context.close(promise: nil)
    }

    var pendingDeadlines: [UInt64: Waiting] { waiting }

    static func deadline(of entry: Waiting) -> NIODeadline? { entry.deadline }

    /// Fails a call past its deadline with DEADLINE_EXCEEDED.
    func expire(_ id: UInt64) {
        guard let entry = waiting.removeValue(forKey: id) else { return }
        state.callEnded()
        let timeout = entry.timeout.map { "\(Self.milliseconds($0))" } ?? "?"
        entry.completer.fail(RPCError(.deadlineExceeded, "no answer to \(entry.method) from \(peer) within \(timeout) ms"))
    }

    private func failAll(_ error: RPCError) {
        let entries = waiting
        waiting.removeAll()
        deadlines.cancel()
        for _ in entries { state.callEnded() }
        for entry in entries.values { entry.completer.fail(error) }
    }

    private static func milliseconds(_ amount: TimeAmount) -> UInt32 {
        UInt32(clamping: max(1, (amount.nanoseconds + 999_999) / 1_000_000))
    }
}
