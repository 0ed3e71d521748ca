import Logging
import NIOCore
import Wire

/// Serves one socket connection: reads frames and hands each request to the server core's
/// `CallDispatcher`, and writes the answers it sends, batched per event-loop tick. What the
/// connection may do (limits, timeouts, when to stop reading, when to close) is decided by
/// `ServerConnectionState`; this handler feeds it events and carries out its actions. A broken
/// stream gets one error frame on id 0, and the requests read before it are still answered
/// before the close; so are the requests of a peer that closes its sending side (half-close).
/// Everything here runs on the connection's event loop.
final class ServerConnectionHandler: ChannelDuplexHandler, CallTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: ServerCore
    private let logger: Logger
    private let frameBudget: FrameBudget
    private var framer: EnvelopeFramer
    private var wire: WireConfiguration
    private var state: ServerConnectionState
    /// Runs the requests; made when the connection is added to a pipeline.
    private var dispatcher: CallDispatcher<ServerConnectionHandler>?
    /// Bytes received and not yet taken as frames.
    private var inbound: InboundFrames
    /// Bytes of `frameBudget` held for the frame now arriving.
    private var reservedForFrame = 0
    /// A read the channel asked for while reading was paused.
    private var readPending = false
    /// The peer closed its sending side: what is buffered is all there will be.
    private var inputEnded = false
    /// Inside `decodeFrames` (an answer given synchronously must not start another pass).
    private var decoding = false
    private var connectionTimer: Scheduled<Void>?
    private var connectionTimerAt: ContinuousClock.Instant?
    private var context: ChannelHandlerContext?
    private var caller = Caller(peer: "?")
    /// Answers framed and not yet handed to the channel (written at the flush).
    private var outbound = OutboundBatch()
    private var needsFlush = false
    private var flushScheduled = false
    /// Between the first read of a batch and `channelReadComplete`, which flushes the batch.
    private var inReadBatch = false

    init(core: ServerCore, wire: WireConfiguration, limits: ConnectionLimits, frameBudget: FrameBudget, logger: Logger) {
        self.core = core
        self.framer = EnvelopeFramer(configuration: wire)
        self.inbound = InboundFrames(configuration: wire)
        self.wire = wire
        self.state = ServerConnectionState(limits: limits, now: .now)
        self.frameBudget = frameBudget
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        caller = Caller(peer: context.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?")
        dispatcher = CallDispatcher(core: core, transport: self, caller: caller, eventLoop: context.eventLoop, logger: logger)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        dispatcher?.close()
        dispatcher = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        core.stats.connectionOpened()
        armConnectionTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.stats.connectionClosed()
        state.closed()
        dispatcher?.close()  // nobody is left to answer: stop the work
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
    /// partial one at its end (or, once the peer sent its last byte, answers it as cut short).
    private func decodeFrames() {
        guard !decoding, let dispatcher else { return }
        decoding = true
        defer { decoding = false }
        while state.canDispatch {
            do {
                guard let payload = try inbound.nextPayload() else { break }
                releaseFrameReservation()
                if dispatcher.relaysAny {
                    try dispatcher.receive(encoded: EncodedEnvelope(payload: payload))
                } else {
                    dispatcher.receive(try Envelope(serialized: payload))
                }
            } catch {
                let wireError = error as? WireError
                return unreadable(wireError?.statusCode ?? .invalidArgument, wireError?.description ?? "\(error)")
            }
        }
        inbound.compact()
        if inputEnded, state.canDispatch {
            // Every whole frame is taken; what is left can never be completed.
            if let cut = inbound.endOfStream { return unreadable(cut.statusCode, cut.description) }
            return perform(state.inputEnded())
        }
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
        switch event {
        case is ChannelShouldQuiesceEvent:
            perform(state.quiesce(now: .now))
        case ChannelEvent.inputClosed:
            inputEnded = true
            decodeFrames()
        default:
            context.fireUserInboundEventTriggered(event)
        }
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
            _ = send(.failure(id: 0, RPCError(code, message)))
            core.unreadableFrameAnswered(code, caller: caller)
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

    // MARK: - Answers (CallTransport)

    func callStarted() {
        perform(state.requestStarted(now: .now))
    }

    func send(_ answer: Envelope) -> StatusCode {
        guard let context else { return answer.status }
        do {
            try outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in
                try framer.append(answer, to: &buffer)
            }
            answerQueued()
            return answer.status
        } catch {
            return send(.failure(id: answer.id, RPCError(.resourceExhausted, "response too large: \(error)")))
        }
    }

    func send(relayed answer: EncodedEnvelope, id: UInt64) -> StatusCode {
        guard let context else { return answer.status }
        do {
            try outbound.append(allocator: context.channel.allocator) { buffer throws(WireError) in
                try framer.append(relaying: answer, id: id, to: &buffer)
            }
            answerQueued()
            return answer.status
        } catch {
            return send(.failure(id: id, RPCError(.resourceExhausted, "response too large: \(error)")))
        }
    }

    /// An answer is in the batch: it goes out at the end of the read batch, or of this tick when
    /// it was given outside one (a task's answer, a relayed one, one given on resuming reading).
    private func answerQueued() {
        needsFlush = true
        if !inReadBatch { scheduleFlush() }
    }

    /// A running call was answered: the state may go on (resume reading, or close a draining
    /// connection once its last answer is written).
    func callFinished() {
        let action = state.requestFinished(now: .now)
        if case .close = action { flushIfNeeded() }
        perform(action)
        armConnectionTimer()
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
