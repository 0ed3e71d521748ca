import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing
import Wire
@testable import RPC

/// The client connection's state machine alone: events in, actions out, time passed in by hand.
@Suite struct ClientConnectionStateTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ ms: Int64) -> NIODeadline { t0 + .milliseconds(ms) }
    func ready(_ keepalive: Keepalive? = Keepalive(interval: .seconds(1), timeout: .seconds(1))) -> ClientConnectionState {
        var state = ClientConnectionState(keepalive: keepalive)
        _ = state.connected(now: t0)
        return state
    }

    @Test func callsSentWhileConnectingWaitForTheConnectionAndNoneAfterItFails() {
        var state = ClientConnectionState(keepalive: Keepalive(interval: .seconds(1), timeout: .seconds(1)))
        #expect(state.canSend)
        #expect(state.callSent(now: t0) == .none, "no clock before the connection is up")
        #expect(state.connected(now: at(50)) == .scheduleCheck(at: at(1050)), "the waiting call starts it")
        #expect(state.refusedByServer(RPCError(.invalidArgument, "bad frame")) == .failAllAndClose(RPCError(.invalidArgument, "bad frame")))
        #expect(!state.canSend)
        state.closed()
        #expect(state.phase == .closed)
    }

    @Test func aSilentPeerIsPingedThenDeclaredDead() {
        var state = ready()
        #expect(state.callSent(now: at(100)) == .scheduleCheck(at: at(1100)), "silence counts from when calls begin waiting")
        #expect(state.callSent(now: at(200)) == .none, "one check covers every waiting call")
        #expect(state.timerFired(now: at(1100), peer: "p") == .sendPing(thenCheckAt: at(2100)))
        #expect(state.phase == .pingSent(at: at(1100)))
        guard case .failAllAndClose(let error) = state.timerFired(now: at(2100), peer: "p") else {
            Issue.record("the peer should be declared dead")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("keepalive"))
        #expect(state.phase == .closing && !state.canSend)
    }

    @Test func anyByteAfterThePingKeepsTheConnection() {
        var state = ready()
        _ = state.callSent(now: at(0))
        #expect(state.timerFired(now: at(1000), peer: "p") == .sendPing(thenCheckAt: at(2000)))
        state.bytesRead(now: at(1500))  // the ping's answer (or any other)
        #expect(state.timerFired(now: at(2000), peer: "p") == .scheduleCheck(at: at(2500)), "the next silence counts from the last read")
        #expect(state.timerFired(now: at(2500), peer: "p") == .sendPing(thenCheckAt: at(3500)), "a call still waits: ping again")
    }

    @Test func anIdleConnectionSendsNothingAndReadsPostponeThePing() {
        var state = ready()
        _ = state.callSent(now: at(0))
        state.bytesRead(now: at(800))
        #expect(state.timerFired(now: at(1000), peer: "p") == .scheduleCheck(at: at(1800)))
        state.callEnded()
        #expect(state.timerFired(now: at(1800), peer: "p") == .none, "no call waits: the check stops")
        #expect(state.callSent(now: at(5000)) == .scheduleCheck(at: at(6000)))
    }

    @Test func withoutKeepaliveNothingIsEverScheduled() {
        var state = ready(nil)
        #expect(state.callSent(now: at(0)) == .none)
        #expect(state.timerFired(now: at(100_000), peer: "p") == .none)
        #expect(state.canSend)
    }
}

/// The client connection handler over an embedded channel on virtual time: what it writes and
/// how its calls end, with no socket and no sleeping.
@Suite struct ClientConnectionHandlerTests {
    final class Outcome: Sendable {
        let result = Mutex<Result<Envelope, RPCError>?>(nil)
        var value: Result<Envelope, RPCError>? { result.withLock { $0 } }
        /// The error the call failed with; nil while it waits or when it was answered.
        var failure: RPCError? {
            guard case .failure(let error) = value else { return nil }
            return error
        }
        var completer: CallCompleter { .decoded { result in self.result.withLock { $0 = result } } }
    }

    struct Connection {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let handler: ClientConnectionHandler

        init(keepalive: Keepalive?) throws {
            handler = ClientConnectionHandler(peer: "peer", wire: .init(), keepalive: keepalive)
            channel = EmbeddedChannel(handler: handler, loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7)).wait()
        }

        /// The requests written since the last look.
        func written() throws -> [Envelope] {
            loop.run()
            var frames = InboundFrames()
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { frames.append(buffer) }
            var envelopes: [Envelope] = []
            while let payload = try frames.nextPayload() { envelopes.append(try Envelope(serialized: payload)) }
            return envelopes
        }

        func answer(_ envelope: Envelope) throws {
            var framer = EnvelopeFramer()
            try channel.writeInbound(try framer.frame(envelope, allocator: channel.allocator))
            loop.run()
        }
    }

    @Test func aSilentPeerFailsTheWaitingCallAfterIntervalPlusTimeout() throws {
        let connection = try Connection(keepalive: Keepalive(interval: .seconds(1), timeout: .seconds(1)))
        let outcome = Outcome()
        connection.handler.send(.call(method: "Embed", body: [], trace: nil), timeout: .seconds(30), completer: outcome.completer)
        #expect(try connection.written().map(\.method) == ["Embed"])
        connection.loop.advanceTime(by: .milliseconds(999))
        #expect(try connection.written().isEmpty)
        connection.loop.advanceTime(by: .milliseconds(1))
        #expect(try connection.written().map(\.method) == ["Health"], "the ping")
        connection.loop.advanceTime(by: .milliseconds(999))
        #expect(outcome.value == nil)
        connection.loop.advanceTime(by: .milliseconds(1))
        let error = try #require(outcome.failure, "the call should have failed: \(String(describing: outcome.value))")
        #expect(error.code == .unavailable && error.message.contains("keepalive"))
        #expect(!connection.channel.isActive)
    }

    @Test func aSlowCallOnALivePeerIsNotDeclaredDead() throws {
        let connection = try Connection(keepalive: Keepalive(interval: .milliseconds(200), timeout: .seconds(1)))
        let outcome = Outcome()
        connection.handler.send(.call(method: "Embed", body: [], trace: nil), timeout: .seconds(60), completer: outcome.completer)
        let call = try #require(try connection.written().first)
        var pings = 0
        for _ in 0..<250 {  // 50 s of virtual time: every ping answered at once, the call still running
            connection.loop.advanceTime(by: .milliseconds(200))
            for ping in try connection.written() where ping.method == "Health" {
                pings += 1
                try connection.answer(Envelope(id: ping.id, body: HealthResponse(status: .serving).serializedBytes()))
            }
        }
        #expect(pings >= 45, "a ping about every second: its check comes at the timeout")
        #expect(outcome.value == nil)
        #expect(connection.channel.isActive)
        try connection.answer(Envelope(id: call.id, body: EmbedResponse().serializedBytes()))
        #expect(try outcome.value?.get().id == call.id)
    }

    @Test func aCallPastItsTimeoutFailsDeadlineExceededAndTheConnectionStays() throws {
        let connection = try Connection(keepalive: nil)
        let outcome = Outcome()
        connection.handler.send(.call(method: "Embed", body: [], trace: nil), timeout: .milliseconds(400), completer: outcome.completer)
        _ = try connection.written()
        connection.loop.advanceTime(by: .milliseconds(399))
        #expect(outcome.value == nil)
        connection.loop.advanceTime(by: .milliseconds(1))
        #expect(try #require(outcome.failure, "the call should have timed out").code == .deadlineExceeded)
        #expect(connection.channel.isActive)
    }

    @Test func anIdleConnectionSendsNothing() throws {
        let connection = try Connection(keepalive: Keepalive(interval: .seconds(1), timeout: .seconds(1)))
        connection.loop.advanceTime(by: .seconds(3600))
        #expect(try connection.written().isEmpty)
        #expect(connection.channel.isActive)
    }

    @Test func aRefusedStreamFailsEveryWaitingCall() throws {
        let connection = try Connection(keepalive: nil)
        let outcomes = [Outcome(), Outcome()]
        for outcome in outcomes {
            connection.handler.send(.call(method: "Embed", body: [], trace: nil), timeout: nil, completer: outcome.completer)
        }
        _ = try connection.written()
        try connection.answer(.failure(id: 0, RPCError(.invalidArgument, "unreadable frame")))
        #expect(outcomes.map { $0.failure?.code } == [.invalidArgument, .invalidArgument])
    }
}

/// One socket smoke test: a server that accepts and never writes a byte (a silent peer) is found
/// by the keepalive ping, not by the call's timeout.
@Suite struct KeepaliveSocketTests {
    @Test func aSilentServerIsFoundDeadOverARealSocket() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let keepalive = Keepalive(interval: .milliseconds(100), timeout: .milliseconds(100))
        let client = RPCClient(
            address: ServiceAddress(host: "127.0.0.1", port: channel.localAddress!.port!),
            configuration: .init(defaultTimeout: .seconds(30), keepalive: keepalive))
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Methods.health, HealthRequest(), timeout: .seconds(30))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("keepalive") == true, "\(String(describing: error))")
        await client.close()
    }
}
