import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

/// One connection of a client, opened on first use and reopened on the next call after it drops.
final class ClientConnection: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        /// Connected; the handler is reachable only on the event loop.
        case ready(any Channel, NIOLoopBound<ClientConnectionHandler>?)
        case closed
    }

    private let address: ServiceAddress
    private let configuration: ClientConfiguration
    private let state = NIOLockedValueBox(State.idle)

    /// The event loop the connection lives on.
    let eventLoop: any EventLoop

    init(address: ServiceAddress, configuration: ClientConfiguration, eventLoop: any EventLoop) {
        self.address = address
        self.configuration = configuration
        self.eventLoop = eventLoop
    }

    /// Sends one request and returns its response envelope (any status). The request carries the
    /// task's trace (`Tracing.current`), a new span of it.
    func send(method: String, body: [UInt8], timeout: TimeAmount?) -> EventLoopFuture<Envelope> {
        let promise = eventLoop.makePromise(of: Envelope.self)
        send(.call(method: method, body: body, trace: Tracing.current?.child()), timeout: timeout, completer: .decoded { result in
            promise.completeWith(result.mapError { $0 as any Error })
        })
        return promise.futureResult
    }

    /// Sends one request; `completer` gets its response (any status) or why none came, on this
    /// connection's event loop. Called on that loop with the connection open, the call goes
    /// straight into the pipeline: no future, no lock beyond reading the state.
    func send(_ request: CallRequest, timeout: TimeAmount?, completer: CallCompleter) {
        if eventLoop.inEventLoop, let handler = openHandler() {
            return handler.send(request, timeout: timeout, completer: completer)
        }
        let call = OutboundCall(request, timeout: timeout, completer: completer)
        channel().whenComplete { result in
            switch result {
            case .success(let channel):
                let written = self.eventLoop.makePromise(of: Void.self)
                channel.write(call, promise: written)  // the handler flushes once per event-loop tick
                written.futureResult.whenFailure { error in
                    // A call the handler never saw (the connection closed first) is failed here.
                    if !call.accepted {
                        completer.fail(RPCError(.unavailable, "connection to \(self.address) closed: \(error)"))
                    }
                }
            case .failure(let error):
                completer.fail(RPCError(error))
            }
        }
    }

    /// The connection's handler, when the connection is open now (on the event loop only).
    private func openHandler() -> ClientConnectionHandler? {
        state.withLockedValue { state in
            if case .ready(let channel, let handler?) = state, channel.isActive { return handler.value }
            return nil
        }
    }

    /// Closes the connection; later calls fail UNAVAILABLE.
    func close() -> EventLoopFuture<Void> {
        let previous = state.withLockedValue { state in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .ready(let channel, _): return channel.close().recover { _ in }
        case .connecting(let future): return future.flatMap { $0.close() }.recover { _ in }
        case .idle, .closed: return eventLoop.makeSucceededVoidFuture()
        }
    }

    private enum Next {
        case use(EventLoopFuture<any Channel>)
        case connect(EventLoopPromise<any Channel>)
    }

    private func channel() -> EventLoopFuture<any Channel> {
        let next: Next = state.withLockedValue { state in
            switch state {
            case .ready(let channel, _) where channel.isActive:
                return .use(eventLoop.makeSucceededFuture(channel))
            case .connecting(let future):
                return .use(future)
            case .closed:
                return .use(eventLoop.makeFailedFuture(RPCError(.unavailable, "client for \(address) is closed")))
            case .idle, .ready:
                let promise = eventLoop.makePromise(of: (any Channel).self)
                state = .connecting(promise.futureResult)
                return .connect(promise)
            }
        }
        switch next {
        case .use(let future):
            return future
        case .connect(let promise):
            connect().whenComplete { result in self.connected(result, promise: promise) }
            return promise.futureResult
        }
    }

    private func connected(_ result: Result<any Channel, any Error>, promise: EventLoopPromise<any Channel>) {
        switch result {
        case .success(let channel):
            let handler = try? channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
            let closedMeanwhile = state.withLockedValue { state in
                if case .closed = state { return true }
                state = .ready(channel, handler.map { NIOLoopBound($0, eventLoop: channel.eventLoop) })
                return false
            }
            if closedMeanwhile {
                channel.close(promise: nil)
                return promise.fail(RPCError(.unavailable, "client for \(address) is closed"))
            }
            channel.closeFuture.whenComplete { _ in
                self.state.withLockedValue { state in
                    if case .ready(let current, _) = state, current === channel { state = .idle }
                }
            }
            promise.succeed(channel)
        case .failure(let error):
            state.withLockedValue { state in
                if case .connecting = state { state = .idle }
            }
            promise.fail(RPCError(.unavailable, "cannot connect to \(address): \(error)"))
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let peer = address.description
        let wire = configuration.wire
        let token = configuration.authToken ?? ""
        let keepalive = configuration.keepalive
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(peer: peer, wire: wire, authToken: token, keepalive: keepalive))
                }
            }
            .connect(host: address.host, port: address.port)
    }
}
