import Lifecycles
import NIOCore
import NIOEmbedded
import Testing

/// The listener lifecycle alone: events in, actions out, embedded channels as listeners.
@Suite struct ListenerLifecycleTests {
    let loop = EmbeddedEventLoop()
    let address = try! SocketAddress(ipAddress: "127.0.0.1", port: 7200)

    func promise() -> EventLoopPromise<SocketAddress> { loop.makePromise() }

    @Test func bindsOnceAndEveryLaterStartGetsTheAddress() throws {
        var lifecycle = ListenerLifecycle()
        guard case .bind(let bind) = lifecycle.start(makePromise: promise) else { Issue.record("first start binds"); return }
        guard case .wait(let waiting) = lifecycle.start(makePromise: promise) else { Issue.record("a second start waits"); return }
        #expect(waiting === bind.futureResult)
        let listener = EmbeddedChannel(loop: loop)
        let serving = lifecycle.bound(listener, at: address)
        #expect(serving)
        bind.succeed(address)
        guard case .bound(let bound) = lifecycle.start(makePromise: promise) else { Issue.record("then it is bound"); return }
        #expect(bound == address && lifecycle.address == address)
        #expect(lifecycle.listener === listener)
    }

    @Test func shutdownClosesTheListenerOnceAndKeepsTheAddress() {
        var lifecycle = ListenerLifecycle()
        guard case .bind(let bind) = lifecycle.start(makePromise: promise) else { return }
        let listener = EmbeddedChannel(loop: loop)
        _ = lifecycle.bound(listener, at: address)
        bind.succeed(address)
        let first = lifecycle.shutdown(), second = lifecycle.shutdown()
        #expect(first === listener)
        #expect(second == nil, "a second shutdown has nothing to close")
        #expect(lifecycle.isShuttingDown)
        lifecycle.drained()
        #expect(lifecycle.address == address, "Status still reports it")
        guard case .bound = lifecycle.start(makePromise: promise) else { Issue.record("never re-bound"); return }
    }

    @Test func shutdownWhileBindingClosesTheListenerAsSoonAsItIsBound() {
        var lifecycle = ListenerLifecycle()
        guard case .bind(let bind) = lifecycle.start(makePromise: promise) else { return }
        defer { bind.succeed(address) }
        let closing = lifecycle.shutdown()
        #expect(closing == nil)
        let serving = lifecycle.bound(EmbeddedChannel(loop: loop), at: address)
        #expect(!serving, "close it: shutdown came first")
        #expect(lifecycle.address == address)
    }

    @Test func shutdownBeforeStartRefusesEveryStart() {
        var lifecycle = ListenerLifecycle()
        let closing = lifecycle.shutdown()
        #expect(closing == nil)
        guard case .refuse = lifecycle.start(makePromise: promise) else { Issue.record("refused"); return }
        #expect(lifecycle.address == nil)
    }

    @Test func aFailedBindMayBeTriedAgain() {
        var lifecycle = ListenerLifecycle()
        guard case .bind(let first) = lifecycle.start(makePromise: promise) else { return }
        lifecycle.bindFailed()
        first.fail(ChannelError.unknownLocalAddress)
        guard case .bind(let second) = lifecycle.start(makePromise: promise) else { Issue.record("bind again"); return }
        second.fail(ChannelError.unknownLocalAddress)
    }
}
