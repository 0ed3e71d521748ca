import NIOConcurrencyHelpers
import Testing
import Wire
@testable import RPC

/// Each interceptor of the standard chain, and one a service adds, through `InProcessCaller`:
/// the in-process path runs the server core a socket runs, so these are the server's own rules.
@Suite(.timeLimit(.minutes(1))) struct InterceptorTests {
    func caller(
        _ core: ServerCore, token: String = "", timeout: Duration? = .seconds(10)
    ) -> InProcessCaller {
        InProcessCaller(core, authToken: token, defaultTimeout: timeout)
    }

    func adminHandlers() -> RPCHandlers {
        var handlers = testHandlers()
        handlers.register(Methods.reload) { _, _ in ReloadResponse(version: "v2") }
        return handlers
    }

    @Test func authenticationRefusesAMissingOrWrongTokenInProcessToo() async throws {
        let core = ServerCore.standard(
            service: "test", handlers: adminHandlers(), authentication: Authentication(callerToken: "caller", adminToken: "admin"))
        let anonymous = await #expect(throws: RPCError.self) { try await caller(core).call(Methods.embed, EmbedRequest(texts: ["a"])) }
        #expect(anonymous?.code == .unauthenticated)
        let wrong = await #expect(throws: RPCError.self) { try await caller(core, token: "guess").call(Methods.embed, EmbedRequest(texts: ["a"])) }
        #expect(wrong?.code == .unauthenticated)
        #expect(try await caller(core, token: "caller").call(Methods.embed, EmbedRequest(texts: ["ab"])).vectors == [Vector(values: [2])])
        let denied = await #expect(throws: RPCError.self) { try await caller(core, token: "caller").call(Methods.reload, ReloadRequest()) }
        #expect(denied?.code == .permissionDenied)
        #expect(try await caller(core, token: "admin").call(Methods.reload, ReloadRequest()).version == "v2")
        #expect(try await caller(core).call(Methods.health, HealthRequest()).status == .serving, "Health is open to probes")
    }

    @Test func theAdminMethodsAreTheOnesProtoMarks() {
        #expect(Authentication().adminMethods == ["Register", "Reload"])
        #expect(Methods.adminNames == ["Register", "Reload"])
    }

    @Test func requestMetricsCountEveryAnswerRefusalsIncluded() async throws {
        let stats = ServerStats()
        let core = ServerCore.standard(
            service: "test", handlers: testHandlers(), authentication: Authentication(callerToken: "t"), stats: stats)
        _ = try await caller(core, token: "t").call(Methods.embed, EmbedRequest(texts: ["a"]))
        _ = try? await caller(core, token: "t").call(Methods.embed, EmbedRequest(texts: ["fail:5"]))
        _ = try? await caller(core).call(Methods.embed, EmbedRequest(texts: ["a"]))  // refused: no token
        _ = try? await caller(core, token: "t").call(RPCMethod<HealthRequest, HealthResponse>("NoSuchMethod"), HealthRequest())
        #expect(stats.requestsTotal == 4)
        #expect(stats.errorsTotal == 3)
        #expect(stats.requestsInFlight == 0)
    }

    @Test func deadlinesAnswerDeadlineExceededAndCancelTheHandler() async throws {
        let cancelled = CancellationRecorder()
        let core = ServerCore.standard(service: "test", handlers: testHandlers(cancelled: cancelled))
        let error = await #expect(throws: RPCError.self) {
            try await caller(core).call(Methods.embed, EmbedRequest(texts: ["sleep:10000"]), timeout: .milliseconds(50))
        }
        #expect(error?.code == .deadlineExceeded)
        try await eventuallyAsync { await cancelled.count == 1 }
    }

    @Test func deadlinesGiveCallsWithoutATimeoutTheDefaultAndCapEveryCall() async throws {
        let capped = ServerCore.standard(
            service: "test", handlers: testHandlers(), deadlines: Deadlines(defaultTimeout: nil, maximum: .milliseconds(50)))
        let overCap = await #expect(throws: RPCError.self) {
            try await caller(capped).call(Methods.embed, EmbedRequest(texts: ["sleep:10000"]), timeout: .seconds(30))
        }
        #expect(overCap?.code == .deadlineExceeded)
        let defaulted = ServerCore.standard(
            service: "test", handlers: testHandlers(), deadlines: Deadlines(defaultTimeout: .milliseconds(50)))
        let noTimeoutSent = await #expect(throws: RPCError.self) {
            try await caller(defaulted, timeout: nil).call(Methods.embed, EmbedRequest(texts: ["sleep:10000"]))
        }
        #expect(noTimeoutSent?.code == .deadlineExceeded)
        var head = CallHead(method: "Embed", id: 1, timeoutMs: 0, caller: .inProcess, token: .string(""))
        try Deadlines().admit(&head)
        #expect(head.timeout == nil, "without a default, a call that sends no timeout runs as long as it takes")
    }

    @Test func quiescenceTurnsNewCallsAwayWhileRunningOnesFinish() async throws {
        let gates = Gates()
        let core = ServerCore.standard(service: "test", handlers: testHandlers(gates: gates))
        let running = Task { try await caller(core).call(Methods.embed, EmbedRequest(texts: ["gate:go"])) }
        try await eventually { core.stats.requestsInFlight == 1 }
        core.quiescence.begin()
        let refused = await #expect(throws: RPCError.self) { try await caller(core).call(Methods.embed, EmbedRequest(texts: ["a"])) }
        #expect(refused?.code == .unavailable)
        await gates.open("go")
        #expect(try await running.value.vectors.count == 1)
    }

    /// Records what it sees; refuses the method it is given.
    final class Recorder: ServerInterceptor {
        let name: String
        let refusing: String?
        let log: NIOLockedValueBox<[String]>

        init(_ name: String, refusing: String? = nil, log: NIOLockedValueBox<[String]>) {
            self.name = name
            self.refusing = refusing
            self.log = log
        }

        func admit(_ call: inout CallHead) throws(RPCError) {
            log.withLockedValue { $0.append("\(name) admit \(call.method)") }
            if call.method == refusing { throw RPCError(.resourceExhausted, "\(name) says no") }
        }

        func finished(_ call: CallHead, status: StatusCode, nanoseconds: Int64) {
            log.withLockedValue { $0.append("\(name) finished \(call.method) \(status)") }
        }
    }

    @Test func aServiceAddsItsOwnInterceptorsWhichRunInOrderAndUnwindInReverse() async throws {
        let log = NIOLockedValueBox<[String]>([])
        let core = ServerCore.standard(
            service: "test", handlers: testHandlers(),
            adding: [Recorder("outer", log: log), Recorder("inner", refusing: "Health", log: log)])
        _ = try await caller(core).call(Methods.embed, EmbedRequest(texts: ["a"]))
        let refused = await #expect(throws: RPCError.self) { try await caller(core).call(Methods.health, HealthRequest()) }
        #expect(refused?.code == .resourceExhausted)
        #expect(log.withLockedValue { $0 } == [
            "outer admit Embed", "inner admit Embed", "inner finished Embed OK", "outer finished Embed OK",
            "outer admit Health", "inner admit Health", "outer finished Health RESOURCE_EXHAUSTED",
        ])
        #expect(core.stats.errorsTotal == 1, "the standard metrics, first in the chain, counted the refusal")
    }

    @Test func anUnknownMethodIsUnimplementedInProcess() async throws {
        let error = await #expect(throws: RPCError.self) {
            try await InProcessCaller(testHandlers()).call(RPCMethod<HealthRequest, HealthResponse>("Nope"), HealthRequest())
        }
        #expect(error?.code == .unimplemented)
        #expect(error?.message.contains("Nope") == true)
    }
}

/// Waits until an async `condition` holds (the suite's time limit bounds it).
func eventuallyAsync(_ condition: () async -> Bool) async throws {
    while !(await condition()) { try await Task.sleep(for: .milliseconds(2)) }
}
