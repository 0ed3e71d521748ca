import Foundation
import NIOCore
import RPC
import Synchronization
import Testing
import Wire

/// What a client cannot do to a server any more, over real sockets: hold connections open
/// forever, trickle a frame, park half-sent frames, open connections without end, pipeline
/// without reading, lose requests to a bad frame, or call without the token.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ConnectionLimitsTests {
    func embed(_ id: UInt64, _ text: String) -> Envelope {
        Envelope(id: id, method: "Embed", body: EmbedRequest(texts: [text]).serializedBytes())
    }

    @Test func anIdleConnectionIsClosedAndABusyOneIsNot() async throws {
        let gates = Gates()
        let limits = ConnectionLimits(idleTimeout: .milliseconds(300))
        try await withServer(testHandlers(gates: gates), limits: limits) { server, address in
            let busy = try RawSocket(port: address.port)
            busy.send(embed(1, "gate:open"))
            try await eventually { server.stats.requestsInFlight == 1 }
            let idle = try RawSocket(port: address.port)
            #expect(try await idle.isClosedByPeer())  // within the 5 s read timeout
            try await eventually { server.stats.openConnections == 1 }
            try await Task.sleep(for: .milliseconds(600))  // twice the idle timeout
            #expect(server.stats.openConnections == 1, "the connection waiting for an answer stays")
            await gates.open("open")
            #expect(try await busy.receive()?.id == 1)
            #expect(try await busy.isClosedByPeer(), "idle again after its answer")
        }
    }

    @Test func aFrameTrickledSlowerThanTheFrameTimeoutIsRefused() async throws {
        let limits = ConnectionLimits(frameReadTimeout: .milliseconds(300))
        try await withServer(testHandlers(), limits: limits) { _, address in
            let socket = try RawSocket(port: address.port)
            let frame = RawSocket.frames([embed(7, "slow")])
            for byte in frame.prefix(6) {  // one byte per 100 ms: 600 ms for 6 of its bytes
                socket.send([byte])
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = try #require(try await socket.receive())
            #expect(answer.id == 0)
            #expect(answer.status == .deadlineExceeded)
            #expect(try await socket.isClosedByPeer())
        }
    }

    @Test func halfSentFramesCannotHoldMoreThanTheServersBudget() async throws {
        let frameLimit = 1 << 20
        let limits = ConnectionLimits(maxPartialFrameBytes: 2 * (frameLimit + FrameHeader.size))
        try await withServer(testHandlers(), wire: WireConfiguration(maxFrameSize: frameLimit), limits: limits) { server, address in
            var header = ByteBuffer()
            FrameHeader(compressed: false, length: frameLimit).write(to: &header)
            let announce = Array(header.readableBytesView) + [UInt8](repeating: 0x0a, count: 1000)
            let parked = try (0..<2).map { _ in try RawSocket(port: address.port) }
            for socket in parked { socket.send(announce) }
            try await eventually { server.partialFrameBytes == 2 * (frameLimit + FrameHeader.size) }

            let third = try RawSocket(port: address.port)
            third.send(announce)
            let answer = try #require(try await third.receive())
            #expect(answer.id == 0 && answer.status == .resourceExhausted)
            #expect(answer.errorMessage.contains("partly received"))
            #expect(try await third.isClosedByPeer())
            #expect(server.partialFrameBytes == 2 * (frameLimit + FrameHeader.size))

            // A whole frame still gets through, and closing the parked connections frees their share.
            let client = RPCClient(address: address)
            #expect(try await client.call(Methods.health, HealthRequest()).status == .serving)
            await client.close()
            _ = parked.map { $0.shutdownWrite() }
            try await eventually { server.partialFrameBytes == 0 }
        }
    }

    @Test func connectionsBeyondTheMaximumAreAnsweredAndClosed() async throws {
        try await withServer(testHandlers(), limits: ConnectionLimits(maxConnections: 2)) { server, address in
            let first = try RawSocket(port: address.port), second = try RawSocket(port: address.port)
            try await eventually { server.stats.openConnections == 2 }
            let third = try RawSocket(port: address.port)
            let answer = try #require(try await third.receive())
            #expect(answer.id == 0 && answer.status == .resourceExhausted)
            #expect(try await third.isClosedByPeer())
            first.send(embed(1, "still served"))
            #expect(try await first.receive()?.status == .ok)
            _ = second
        }
    }

    @Test func aClientThatNeverReadsIsStoppedNotBuffered() async throws {
        // 1 KB requests with 4 KB answers: the answers fill the socket buffers, then the requests do.
        var handlers = RPCHandlers()
        handlers.register(Methods.embed) { _, _ in EmbedResponse(vectors: [Vector(values: [Float](repeating: 1, count: 1024))]) }
        try await withServer(handlers) { server, address in
            let socket = try RawSocket(port: address.port)
            let total = 30_000
            let text = String(repeating: "x", count: 1000)
            let bytes = RawSocket.frames((1...total).map { embed(UInt64($0), text) })
            // Send without reading until the kernel takes no more: the server has stopped reading.
            var sent = 0, stalls = 0
            while sent < bytes.count, stalls < 50 {
                let n = socket.sendWithoutBlocking(bytes[sent...])
                sent += n
                if n == 0 {
                    stalls += 1
                    try await Task.sleep(for: .milliseconds(10))
                } else {
                    stalls = 0
                }
            }
            #expect(sent < bytes.count, "the server kept reading a client that never reads")
            let answeredWhileStalled = server.stats.requestsTotal
            #expect(answeredWhileStalled < UInt64(total))
            // Reading resumes the flow: every request sent is answered, in order of ids.
            var next: UInt64 = 1
            while next <= UInt64(total) {
                if sent < bytes.count { sent += socket.sendWithoutBlocking(bytes[sent...]) }
                guard let answer = try await socket.receive() else { break }
                #expect(answer.id == next && answer.status == .ok)
                next += 1
            }
            #expect(next == UInt64(total) + 1)
        }
    }

    @Test func requestsReadBeforeABadFrameAreStillAnswered() async throws {
        let gates = Gates()
        try await withServer(testHandlers(gates: gates)) { _, address in
            let socket = try RawSocket(port: address.port)
            socket.send(RawSocket.frames([embed(101, "gate:late")]) + [0xff, 0xde, 0xad, 0xbe, 0xef] + RawSocket.frames([embed(103, "x")]))
            let error = try #require(try await socket.receive())
            #expect(error.id == 0 && error.status == .invalidArgument)
            await gates.open("late")
            let answer = try #require(try await socket.receive())
            #expect(answer.id == 101 && answer.status == .ok)
            #expect(try await socket.isClosedByPeer(), "nothing after the bad frame is read")
        }
    }

    @Test func aConnectionStopsReadingAtItsLimitOfRequestsInFlight() async throws {
        let gates = Gates()
        let started = Atomic<Int>(0)
        var handlers = RPCHandlers()
        handlers.register(Methods.embed) { request, _ in
            started.add(1, ordering: .relaxed)
            await gates.wait(request.texts[0])
            return EmbedResponse()
        }
        try await withServer(handlers, limits: ConnectionLimits(maxRequestsInFlight: 2)) { _, address in
            let socket = try RawSocket(port: address.port)
            socket.send(RawSocket.frames([embed(1, "a"), embed(2, "b"), embed(3, "c")]))
            try await eventually { started.load(ordering: .relaxed) == 2 }
            try await Task.sleep(for: .milliseconds(100))
            #expect(started.load(ordering: .relaxed) == 2, "the third waits until one of the two is answered")
            await gates.open("a")
            #expect(try await socket.receive()?.id == 1)
            try await eventually { started.load(ordering: .relaxed) == 3 }
            await gates.open("b")
            await gates.open("c")
            #expect(Set([try await socket.receive()?.id, try await socket.receive()?.id]) == [2, 3])
        }
    }

    @Test func tokensAreAskedForAndAdminMethodsNeedTheAdminToken() async throws {
        var handlers = testHandlers()
        handlers.register(Methods.reload) { _, _ in ReloadResponse() }
        let authentication = Authentication(callerToken: "caller-token", adminToken: "admin-token")
        try await withServer(handlers, authentication: authentication) { _, address in
            func client(_ token: String?) -> RPCClient { RPCClient(address: address, configuration: .init(authToken: token)) }
            let (anonymous, wrong, caller, admin) = (client(nil), client("guess"), client("caller-token"), client("admin-token"))
            func code(_ client: RPCClient, _ call: @escaping (RPCClient) async throws -> Void) async -> StatusCode {
                do {
                    try await call(client)
                    return .ok
                } catch {
                    return (error as? RPCError)?.code ?? .unknown
                }
            }
            let embed: (RPCClient) async throws -> Void = { _ = try await $0.call(Methods.embed, EmbedRequest(texts: ["x"])) }
            let reload: (RPCClient) async throws -> Void = { _ = try await $0.call(Methods.reload, ReloadRequest()) }
            let health: (RPCClient) async throws -> Void = { _ = try await $0.call(Methods.health, HealthRequest()) }
            #expect(await code(anonymous, health) == .ok, "Health is open to probes")
            #expect(await code(anonymous, embed) == .unauthenticated)
            #expect(await code(wrong, embed) == .unauthenticated)
            #expect(await code(caller, embed) == .ok)
            #expect(await code(admin, embed) == .ok)
            #expect(await code(caller, reload) == .permissionDenied)
            #expect(await code(anonymous, reload) == .unauthenticated)
            #expect(await code(admin, reload) == .ok)
            for c in [anonymous, wrong, caller, admin] { await c.close() }
        }
    }
}
