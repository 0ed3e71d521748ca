import RPC
import Testing
import Wire

/// Bytes no client should send: each gets an error status where one can still be sent, the
/// connection is closed, and the server goes on serving a second client.
@Suite(.timeLimit(.minutes(1))) struct BadInputTests {
    enum Input: String, CaseIterable {
        case garbageFlags, oversizeLength, garbagePayload, badCompression, truncatedFrame
        var bytes: [UInt8] {
            switch self {
            case .garbageFlags: [0xff, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]
            case .oversizeLength: [0, 0x7f, 0xff, 0xff, 0xff]
            case .garbagePayload: [0, 0, 0, 0, 3, 0x32, 0x7f, 0x01]
            case .badCompression: [1, 0, 0, 0, 4, 1, 2, 3, 4]
            case .truncatedFrame: [0, 0, 0, 1, 0, 1, 2, 3]
            }
        }
        /// The status the server answers (a truncated frame: once the client closes its side, the
        /// frame can never be completed).
        var status: StatusCode {
            switch self {
            case .oversizeLength: .resourceExhausted
            default: .invalidArgument
            }
        }
    }

    @Test(arguments: Input.allCases)
    func badFrameIsAnsweredAndClosedAndOthersAreServed(input: Input) async throws {
        try await withServer(testHandlers()) { server, address in
            let bystander = RPCClient(address: address)
            _ = try await bystander.call(Methods.health, HealthRequest())

            let socket = try RawSocket(port: address.port)
            socket.send(input.bytes)
            if input == .truncatedFrame { socket.shutdownWrite() }
            let answer = try #require(try await socket.receive())
            #expect(answer.id == 0)
            #expect(answer.status == input.status)
            #expect(!answer.errorMessage.isEmpty)
            #expect(try await socket.isClosedByPeer())

            // The open connection and a new one both still work.
            #expect(try await bystander.call(Methods.health, HealthRequest()).status == .serving)
            let second = RPCClient(address: address)
            #expect(try await second.call(Methods.embed, EmbedRequest(texts: ["ok"])).vectors == [Vector(values: [2])])
            await second.close()
            await bystander.close()
        }
    }

    /// How the request read before the bad frame is answered.
    enum AnswerKind: String, CaseIterable {
        /// On the event loop, before the next frame is read (Health).
        case immediate
        /// By a task that finishes after the bad frame was read (Embed "sleep:100").
        case async
        /// Relayed to another server, answered after the bad frame was read.
        case forwarded
    }

    /// A request read whole before a malformed frame on the same connection is answered before the
    /// connection closes, however its answer comes, and whether or not the client closed its
    /// sending side after the bad bytes (a client that sends everything, then reads).
    @Test(arguments: AnswerKind.allCases, [false, true])
    func requestsReadBeforeABadFrameAreAnswered(kind: AnswerKind, halfClose: Bool) async throws {
        try await withServer(testHandlers()) { _, backend in
            var handlers = testHandlers()
            let relay = RPCClient(address: backend)
            handlers.registerForwarding(Methods.route) { request, context, respond in
                // Relays Route to the backend's Embed "sleep:100", answered after the bad frame.
                let body = EmbedRequest(texts: ["sleep:100"]).serializedBytes()
                relay.callSerialized(Methods.embed.name, body: body, timeout: .seconds(5), preferring: context.eventLoop).whenComplete { result in
                    respond(result.mapError { RPCError($0) }.flatMap { envelope in
                        Result { try EncodedEnvelope(encoding: envelope) }.mapError { RPCError($0) }
                    })
                }
            }
            try await withServer(handlers) { _, address in
                let request = switch kind {
                case .immediate: Envelope(id: 7, method: Methods.health.name, body: HealthRequest().serializedBytes())
                case .async: Envelope(id: 7, method: Methods.embed.name, body: EmbedRequest(texts: ["sleep:100"]).serializedBytes())
                case .forwarded: Envelope(id: 7, method: Methods.route.name, body: RouteRequest(prompt: "x").serializedBytes())
                }
                let socket = try RawSocket(port: address.port)
                socket.send(RawSocket.frames([request]) + Input.garbageFlags.bytes)
                if halfClose { socket.shutdownWrite() }
                var answers: [Envelope] = []
                while let answer = try await socket.receive() { answers.append(answer) }
                #expect(Set(answers.map(\.id)) == [0, 7])
                #expect(answers.first { $0.id == 7 }?.status == .ok)
                #expect(answers.first { $0.id == 0 }?.status == .invalidArgument)
            }
            await relay.close()
        }
    }

    @Test func unknownMethodAndUndecodableBodyKeepTheConnection() async throws {
        try await withServer(testHandlers()) { _, address in
            let socket = try RawSocket(port: address.port)
            socket.send(Envelope(id: 1, method: "NoSuchMethod"))
            socket.send(Envelope(id: 2, method: "Embed", body: [0x0a, 0x7f]))
            socket.send(Envelope(id: 3, method: "Embed", body: EmbedRequest(texts: ["fine"]).serializedBytes()))
            var answers: [Envelope] = []
            for _ in 0..<3 { answers.append(try #require(try await socket.receive())) }
            #expect(answers.map(\.id) == [1, 2, 3])
            #expect(answers.map(\.status) == [.unimplemented, .invalidArgument, .ok])
            #expect(answers[0].errorMessage.contains("NoSuchMethod"))
            #expect(answers[1].errorMessage.contains("EmbedRequest"))
        }
    }

    @Test func connectionDroppedWithCallsInFlightFailsThemUnavailable() async throws {
        try await withServer(testHandlers(), grace: .milliseconds(50)) { server, address in
            let client = RPCClient(address: address)
            let pending = Task { try await client.call(Methods.embed, EmbedRequest(texts: ["gate:never"]), timeout: .seconds(20)) }
            try await eventually { server.stats.requestsInFlight == 1 }
            server.shutdown()  // grace of 50 ms, then the connection is closed under the call
            let error = await #expect(throws: RPCError.self) { try await pending.value }
            #expect(error?.code == .unavailable)
        }
    }
}
