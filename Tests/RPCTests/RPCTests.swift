import Logging
import NIOCore
import RPC
import Synchronization
import Testing
import Wire

@Suite(.timeLimit(.minutes(1))) struct RPCTests {
    @Test func callsAndStatuses() async throws {
        try await withServer(testHandlers()) { _, address in
            let client = RPCClient(address: address)
            defer { Task { await client.close() } }
            let health = try await client.call(Methods.health, HealthRequest())
            #expect(health.status == .serving)
            let embed = try await client.call(Methods.embed, EmbedRequest(texts: ["abc", "ü"]))
            #expect(embed.vectors == [Vector(values: [3]), Vector(values: [1])])
            await #expect(throws: RPCError(.notFound, "failed as asked")) {
                try await client.call(Methods.embed, EmbedRequest(texts: ["fail:5"]))
            }
            let crash = await #expect(throws: RPCError.self) {
                try await client.call(Methods.embed, EmbedRequest(texts: ["crash"]))
            }
            #expect(crash?.code == .internal)
            let huge = await #expect(throws: RPCError.self) {
                try await client.call(Methods.embed, EmbedRequest(texts: ["huge"]))
            }
            #expect(huge?.code == .resourceExhausted)
            let unknown = await #expect(throws: RPCError.self) {
                try await client.call(Methods.route, RouteRequest(prompt: "x"))
            }
            #expect(unknown?.code == .unimplemented)
            // The connection survived every error above.
            #expect(try await client.call(Methods.health, HealthRequest()).status == .serving)
        }
    }

    @Test func pipelinedResponsesArriveAsTheyFinish() async throws {
        let gates = Gates()
        try await withServer(testHandlers(gates: gates)) { server, address in
            let socket = try RawSocket(port: address.port)
            // Three pipelined requests; each finishes when the test opens its gate.
            for (id, gate) in [(1, "a"), (2, "b"), (3, "c")] {
                socket.send(Envelope(id: UInt64(id), method: "Embed", body: EmbedRequest(texts: ["gate:\(gate)"]).serializedBytes()))
            }
            try await eventually { server.stats.requestsInFlight == 3 }
            var ids: [UInt64] = []
            for gate in ["b", "c", "a"] {
                await gates.open(gate)
                ids.append(try #require(try await socket.receive()).id)
            }
            #expect(ids == [2, 3, 1])
        }
    }

    @Test func manyConcurrentCallsOnOneConnection() async throws {
        try await withServer(testHandlers()) { _, address in
            let client = RPCClient(address: address)
            let lengths = try await withThrowingTaskGroup(of: (Int, Float).self) { group in
                for i in 0..<500 {
                    group.addTask {
                        let text = String(repeating: "x", count: i % 37) + (i % 5 == 0 ? "" : "")
                        let response = try await client.call(Methods.embed, EmbedRequest(texts: [text]))
                        return (i, response.vectors[0].values[0])
                    }
                }
                return try await group.reduce(into: [Int: Float]()) { $0[$1.0] = $1.1 }
            }
            #expect(lengths.count == 500)
            #expect(lengths.allSatisfy { Float($0.key % 37) == $0.value })
            await client.close()
        }
    }

    @Test func clientTimeoutIsDeadlineExceeded() async throws {
        try await withServer(testHandlers()) { _, address in
            let client = RPCClient(address: address)
            let error = await #expect(throws: RPCError.self) {
                try await client.call(Methods.embed, EmbedRequest(texts: ["sleep:5000"]), timeout: .milliseconds(100))
            }
            #expect(error?.code == .deadlineExceeded)
            await client.close()
        }
    }

    @Test func serverEnforcesTheCallersDeadlineAndStopsTheWork() async throws {
        let cancelled = CancellationRecorder()
        try await withServer(testHandlers(cancelled: cancelled)) { _, address in
            // The handler would take 30 s; the 100 ms deadline answers long before (the bound is
            // loose because a loaded 2-core machine running the whole suite has stalled 5 s).
            let socket = try RawSocket(port: address.port, readTimeoutSeconds: 20)
            let started = ContinuousClock.now
            socket.send(Envelope(id: 7, method: "Embed", timeoutMs: 100, body: EmbedRequest(texts: ["sleep:30000"]).serializedBytes()))
            let response = try #require(try await socket.receive())
            #expect(response.id == 7)
            #expect(response.status == .deadlineExceeded)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
        #expect(await cancelled.count == 1)
    }

    @Test func unreachableServerIsUnavailable() async throws {
        // A port nothing listens on: bind a server, read its port, stop it.
        let port = try await withServer(RPCHandlers()) { _, address in address.port }
        let client = RPCClient(address: ServiceAddress(host: "127.0.0.1", port: port))
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Methods.health, HealthRequest(), timeout: .seconds(5))
        }
        #expect(error?.code == .unavailable)
    }

    @Test func gracefulShutdownFinishesRequestsInFlight() async throws {
        let server = RPCServer(
            service: "test", configuration: ServerConfiguration(port: 0), handlers: testHandlers(),
            logger: Logger(label: "test"))
        let address = try await server.start()
        let running = Task { try await server.run() }
        let client = RPCClient(address: ServiceAddress(host: "127.0.0.1", port: address.port!))
        async let slow = client.call(Methods.embed, EmbedRequest(texts: ["sleep:300"]))
        // Shut down once the slow request is in the server's hands, however loaded the machine.
        while server.stats.requestsInFlight == 0 { try await Task.sleep(for: .milliseconds(5)) }
        server.shutdown()
        #expect(try await slow.vectors == [Vector(values: [9])])
        try await running.value
        let after = await #expect(throws: RPCError.self) {
            try await client.call(Methods.health, HealthRequest())
        }
        #expect(after?.code == .unavailable)
    }

    @Test func compressedCallsBothWays() async throws {
        let wire = WireConfiguration(compressionThreshold: 512)
        let texts = Array(repeating: "a prompt that repeats itself", count: 300)
        let request = Envelope(id: 1, method: "Embed", body: EmbedRequest(texts: texts).serializedBytes())
        var framer = EnvelopeFramer(configuration: wire)
        let frame = try framer.frame(request, allocator: .init())
        #expect(frame.getInteger(at: 0, as: UInt8.self) == FrameHeader.compressedFlag, "the request went compressed")
        try await withServer(testHandlers(), wire: wire) { _, address in
            let socket = try RawSocket(port: address.port)
            socket.send(Array(frame.readableBytesView))
            let (header, response) = try #require(try await socket.receiveFrame())
            #expect(header.compressed, "the response came back compressed")
            #expect(response.status == .ok)
            #expect(try EmbedResponse(serialized: response.body).vectors.count == 300)

            let client = RPCClient(address: address, configuration: ClientConfiguration(wire: wire))
            #expect(try await client.call(Methods.embed, EmbedRequest(texts: texts)).vectors.count == 300)
            await client.close()
        }
    }
}

/// Trace context through two services over TCP: the first's handler calls the second, which sees
/// the same trace (a span of its own) and the request id, as the first's logger and `Tracing.current` do.
@Suite(.timeLimit(.minutes(1))) struct TracePropagationTests {
    @Test func aCallsTraceReachesTheServicesItCausesCallsTo() async throws {
        let seen = SeenTraces()
        var inner = RPCHandlers()
        inner.register(Methods.embed) { request, context in
            seen.add(context.trace)
            return EmbedResponse(vectors: [Vector(values: [1])])
        }
        try await withServer(inner) { _, innerAddress in
            let client = RPCClient(address: innerAddress)
            var outer = RPCHandlers()
            outer.register(Methods.embed) { request, context in
                seen.add(Tracing.current)
                _ = try await client.call(Methods.embed, request, timeout: .seconds(5))
                return EmbedResponse(vectors: [Vector(values: [2])])
            }
            try await withServer(outer) { _, outerAddress in
                let caller = RPCClient(address: outerAddress)
                let trace = TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "", requestID: "req-1")
                _ = try await Tracing.$current.withValue(trace) { try await caller.call(Methods.embed, EmbedRequest(texts: ["x"]), timeout: .seconds(5)) }
                // An untraced call stays untraced.
                _ = try await caller.call(Methods.embed, EmbedRequest(texts: ["y"]), timeout: .seconds(5))
                await caller.close()
            }
            await client.close()
        }
        let traces = seen.all
        #expect(traces.count == 4)
        let traced = traces.prefix(2).compactMap { $0 }
        #expect(traced.count == 2 && traced.allSatisfy { $0.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && $0.requestID == "req-1" })
        #expect(traced[0].traceparent != traced[1].traceparent, "each hop a span of its own")
        #expect(traces.suffix(2).allSatisfy { $0 == nil })
    }
}

final class SeenTraces: Sendable {
    private let traces = Mutex<[TraceContext?]>([])
    func add(_ trace: TraceContext?) { traces.withLock { $0.append(trace) } }
    var all: [TraceContext?] { traces.withLock { $0 } }
}
