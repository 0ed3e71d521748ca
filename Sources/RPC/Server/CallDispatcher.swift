import Logging
import NIOCore
import Wire

/// What carries a `CallDispatcher`'s answers: a socket connection (`ServerConnectionHandler`)
/// or an in-process call (`InProcessCaller`). Called on the dispatcher's event loop.
protocol CallTransport: AnyObject {
    /// A call was admitted and runs on (one answered at once never does): it counts against the
    /// connection's in-flight limit until `callFinished`.
    func callStarted()
    /// Sends an answer; returns the status actually sent (an answer too large to send goes as
    /// RESOURCE_EXHAUSTED).
    func send(_ answer: Envelope) -> StatusCode
    /// Sends a relayed answer, as it came but for its id; returns the status actually sent.
    func send(relayed answer: EncodedEnvelope, id: UInt64) -> StatusCode
    /// A running call was answered (after its `send`): the connection may read again, or close.
    func callFinished()
}

/// A call whose answer is not sent yet.
struct RunningCall {
    let head: CallHead
    let started: NIODeadline
    let deadline: NIODeadline?
    /// The handler's task (cancelled when nobody waits any more); nil for a relayed call.
    var task: Task<Void, Never>?
}

/// Runs the calls of one connection through a `ServerCore`, whatever carries them: each call is
/// admitted (tracked, its interceptors run), handed to its handler (answered now, by a task, or
/// relayed), expired at its deadline, and finished (its answer sent, its interceptors told).
/// The transport only reads requests and writes answers. Everything here runs on `eventLoop`.
final class CallDispatcher<Transport: CallTransport>: DeadlineSweeping {
    typealias Running = RunningCall

    let core: ServerCore
    let eventLoop: any EventLoop
    private let caller: Caller
    private let logger: Logger
    /// Nil once the connection closed: late answers have nowhere to go.
    private var transport: Transport?
    /// Calls not answered yet by a connection-local number (callers' ids need not be unique).
    /// Changed only through `track` and `untrack`, which keep the stats in step.
    private var running: [UInt64: Running] = [:]
    private var lastNumber: UInt64 = 0
    /// Fires at the earliest deadline of the running calls.
    var deadlines = DeadlineTimer()

    init(core: ServerCore, transport: Transport, caller: Caller, eventLoop: any EventLoop, logger: Logger) {
        self.core = core
        self.transport = transport
        self.caller = caller
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Calls running now.
    var runningCount: Int { running.count }

    /// Whether `method`'s handler takes requests still encoded (the transport then hands those
    /// over with `receive(encoded:)` without decoding them).
    var relaysAny: Bool { core.handlers.forwardsAny }

    // MARK: - Calls in

    /// Runs a decoded request.
    func receive(_ request: Envelope) {
        let head = CallHead(
            method: request.method, id: request.id, timeoutMs: request.timeoutMs, caller: caller, token: .string(request.authToken))
        run(head, body: request.body, handler: core.handlers.handler(for: request.method), trace: request.trace.map { .decoded($0) } ?? .none)
    }

    /// Runs a request still encoded: relayed as it is when its method relays, else decoded and
    /// run. Throws when it does not decode (the transport answers that as a broken frame).
    func receive(encoded request: EncodedEnvelope) throws(WireError) {
        let handler = core.handlers.handler(for: request.method)
        guard let handler, case .forwarded(let forward) = handler.body else {
            return receive(try request.decoded())
        }
        let head = CallHead(
            method: request.method, id: request.id, timeoutMs: request.timeoutMs, caller: caller, token: .encoded(request.authToken))
        guard let call = admit(head, known: true, trace: request.carriesTrace ? .encoded(request) : .none) else { return }
        let number = track(call.head, started: call.started)
        forward(request, ForwardingContext(request: call.context, eventLoop: eventLoop), finisher(number) { $0.finishRelayed($1, $2) })
    }

    private func run(_ head: consuming CallHead, body: [UInt8], handler: MethodHandler?, trace: ServerContext.TraceSource) {
        guard let call = admit(head, known: handler != nil, trace: trace), let handler else { return }
        switch handler.body {
        case .decoded(let invoke):
            do {
                switch try invoke(body, call.context) {
                case .now(let response): answer(call, .success(response))
                case .later(let work): start(work, number: track(call.head, started: call.started), trace: call.context.trace)
                }
            } catch {
                answer(call, .failure(RPCError(error)))
            }
        case .forwarded:
            answer(call, .failure(RPCError(.internal, "\(call.head.method) is relayed but arrived decoded")))
        }
    }

    /// A call its interceptors admitted.
    struct Admitted {
        let head: CallHead
        let started: NIODeadline
        let context: ServerContext
    }

    /// Runs the interceptors; the admitted call when they all admit it and its method is known,
    /// nil when it was answered with an error instead.
    private func admit(_ head: consuming CallHead, known: Bool, trace: ServerContext.TraceSource) -> Admitted? {
        guard transport != nil else { return nil }
        let started = eventLoop.now
        var head = head
        let chain = core.chain
        for index in chain.admitting.indices {
            do {
                try chain.admitting[index].admit(&head)
            } catch {
                refuse(head, error, started: started, admittedBy: chain.admittingPositions[index])
                return nil
            }
        }
        guard known else {
            refuse(head, RPCError(.unimplemented, "unknown method \"\(head.method)\""), started: started, admittedBy: chain.count)
            return nil
        }
        let context = ServerContext(
            method: head.method, requestID: head.id, deadline: head.timeout.map { .now + $0 }, caller: caller, serverLogger: logger,
            trace: trace)
        return Admitted(head: head.admitted(), started: started, context: context)
    }

    /// Starts tracking an admitted call that is not answered at once (its deadline armed, the
    /// connection's in-flight count raised); returns its number.
    private func track(_ head: CallHead, started: NIODeadline) -> UInt64 {
        lastNumber += 1
        track(Running(head: head, started: started, deadline: head.timeout.map { started + TimeAmount($0) }), number: lastNumber)
        transport?.callStarted()
        return lastNumber
    }

    /// Answers an admitted call at once (never tracked: answered before the next frame is read).
    private func answer(_ call: Admitted, _ result: Result<[UInt8], RPCError>) {
        guard let transport else { return }
        let status = switch result {
        case .success(let body): transport.send(Envelope(id: call.head.id, body: body))
        case .failure(let error): transport.send(.failure(id: call.head.id, error))
        }
        finished(call.head, status: status, started: call.started, interceptors: core.chain.count)
    }

    /// Answers a call that never ran; the interceptors that admitted it hear how it ended.
    private func refuse(_ head: CallHead, _ error: RPCError, started: NIODeadline, admittedBy count: Int) {
        guard let status = transport?.send(.failure(id: head.id, error)) else { return }
        finished(head, status: status, started: started, interceptors: count)
    }

    // MARK: - Answers out

    /// Runs the handler's async work as a task that starts here, on the event loop: work that
    /// never suspends is answered before this returns; other work when it finishes.
    /// With `trace`, the work runs with it as `Tracing.current`, so the calls it makes carry it on.
    private func start(_ work: @escaping @Sendable () async throws -> [UInt8], number: UInt64, trace: TraceContext?) {
        let finish = finisher(number) { $0.finish($1, $2) }
        let task = Task.immediate {
            do {
                if let trace {
                    finish(.success(try await Tracing.$current.withValue(trace) { try await work() }))
                } else {
                    finish(.success(try await work()))
                }
            } catch {
                finish(.failure(RPCError(error)))
            }
        }
        running[number]?.task = task
    }

    /// What answers call `number` from any thread: at once on the event loop, else by hopping to it.
    private func finisher<Answer: Sendable>(
        _ number: UInt64, _ finish: @escaping @Sendable (CallDispatcher, UInt64, Answer) -> Void
    ) -> @Sendable (Answer) -> Void {
        let dispatcher = NIOLoopBound(self, eventLoop: eventLoop)
        let loop = eventLoop
        return { answer in
            if loop.inEventLoop {
                finish(dispatcher.value, number, answer)
            } else {
                loop.execute { finish(dispatcher.value, number, answer) }
            }
        }
    }

    private func finish(_ number: UInt64, _ result: Result<[UInt8], RPCError>) {
        guard let call = untrack(number), let transport else { return }  // expired, or the connection closed
        let status = switch result {
        case .success(let body): transport.send(Envelope(id: call.head.id, body: body))
        case .failure(let error): transport.send(.failure(id: call.head.id, error))
        }
        finished(call, status: status)
    }

    /// Passes a relayed answer on under the caller's id, its other bytes as they came.
    private func finishRelayed(_ number: UInt64, _ result: Result<EncodedEnvelope, RPCError>) {
        guard let call = untrack(number), let transport else { return }
        let status = switch result {
        case .success(let response): transport.send(relayed: response, id: call.head.id)
        case .failure(let error): transport.send(.failure(id: call.head.id, error))
        }
        finished(call, status: status)
    }

    /// Answers DEADLINE_EXCEEDED to a call past its deadline and stops its work.
    func expire(_ number: UInt64) {
        guard let call = untrack(number), let transport else { return }
        call.task?.cancel()
        let error = RPCError(.deadlineExceeded, "\(call.head.method) did not finish within the caller's deadline")
        finished(call, status: transport.send(.failure(id: call.head.id, error)))
    }

    private func finished(_ call: Running, status: StatusCode) {
        finished(call.head, status: status, started: call.started, interceptors: core.chain.count)
        transport?.callFinished()
    }

    /// Tells the interceptors among the first `count` of the chain that observe calls' ends,
    /// last first, how the call ended.
    private func finished(_ head: CallHead, status: StatusCode, started: NIODeadline, interceptors count: Int) {
        let chain = core.chain
        guard !chain.finishing.isEmpty else { return }
        let elapsed = (eventLoop.now - started).nanoseconds
        var index = chain.finishing.count
        while index > 0 {
            index -= 1
            if chain.finishingPositions[index] < count { chain.finishing[index].finished(head, status: status, nanoseconds: elapsed) }
        }
    }

    // MARK: - Tracking

    private func track(_ call: Running, number: UInt64) {
        running[number] = call
        core.stats.requestsRunningChanged(by: 1)
        if let deadline = call.deadline { armDeadlines(by: deadline, on: eventLoop) }
    }

    private func untrack(_ number: UInt64) -> Running? {
        guard let call = running.removeValue(forKey: number) else { return nil }
        core.stats.requestsRunningChanged(by: -1)
        return call
    }

    var pendingDeadlines: [UInt64: Running] { running }

    static func deadline(of call: Running) -> NIODeadline? { call.deadline }

    /// The connection is gone: nobody is left to answer, so the calls' work stops.
    func close() {
        transport = nil
        for call in running.values { call.task?.cancel() }
        core.stats.requestsRunningChanged(by: -running.count)
        running.removeAll()
        deadlines.cancel()
    }
}
