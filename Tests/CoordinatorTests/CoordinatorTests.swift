import Logging
import RPC
import Synchronization
import Testing
import Wire
@testable import Coordinator

/// A router replica in the same process whose answers a test scripts.
final class FakeReplica: Sendable {
    let name: String
    private let state = Mutex<(route: StatusCode, health: ServingStatus, routes: Int, hang: Bool, reload: StatusCode, reloads: Int)>(
        (.ok, .serving, 0, false, .ok, 0))

    init(_ name: String) { self.name = name }

    /// What Route answers from now on (OK: a decision naming this replica).
    func answerRoute(with status: StatusCode) { state.withLock { $0.route = status } }
    func answerHealth(with status: ServingStatus) { state.withLock { $0.health = status } }
    /// Route never answers (until the caller gives up).
    func hang() { state.withLock { $0.hang = true } }
    /// Route requests this replica received.
    var routes: Int { state.withLock { $0.routes } }
    /// What Reload answers from now on (OK: version "<path>@<name>").
    func answerReload(with status: StatusCode) { state.withLock { $0.reload = status } }
    /// Reload requests this replica received.
    var reloads: Int { state.withLock { $0.reloads } }

    var caller: InProcessCaller {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { [self] request, _ in
            let (status, hang) = state.withLock { state in
                state.routes += 1
                return (state.route, state.hang)
            }
            if hang { try await Task.sleep(for: .seconds(60)) }
            guard status == .ok else { throw RPCError(status, "\(name) answers \(status)") }
            return RouteResponse(model: request.prompt, replica: name)
        }
        handlers.register(Methods.health) { [self] _, _ in
            HealthResponse(status: state.withLock { $0.health }, service: "router")
        }
        handlers.register(Methods.reload) { [self] request, _ in
            let status = state.withLock { state in
                state.reloads += 1
                return state.reload
            }
            guard status == .ok else { throw RPCError(status, "\(name) cannot read \(request.path)") }
            return ReloadResponse(version: request.path, previousVersion: "old")
        }
        return InProcessCaller(handlers, target: name)
    }
}

/// The coordinator's logic without sockets: replicas and the coordinator are handler tables.
struct Coordinator {
    let replicas: [String: FakeReplica]
    let pool: ReplicaPool
    let forwarder: RouteForwarder
    let service: InProcessCaller

    init(_ names: [String], policy: ForwardPolicy = .init(), dropAfter: Duration = .seconds(30)) {
        let replicas = Dictionary(uniqueKeysWithValues: names.map { ($0, FakeReplica($0)) })
        self.replicas = replicas
        pool = ReplicaPool(dropAfter: dropAfter, logger: Logger(label: "test")) { address in replicas[address.host]!.caller }
        for name in names { pool.add(ServiceAddress(host: name, port: 1), registered: false) }
        forwarder = RouteForwarder(pool: pool, policy: policy)
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
        ReloadFanOut(pool: pool) { address in (replicas[address.host]!.caller, {}) }.register(in: &handlers)
        service = InProcessCaller(handlers, target: "coordinator")
    }

    func route(_ prompt: String = "p") async throws -> RouteResponse {
        try await service.call(Methods.route, RouteRequest(prompt: prompt))
    }

    func replica(_ name: String) -> Replica { pool.all.first { $0.address.host == name }! }
}

@Suite struct ForwardPolicyTests {
    @Test func answersAboutTheRequestAreFinalAndTransientFailuresAreRetried() {
        let policy = ForwardPolicy(maxAttempts: 3)
        for status in [StatusCode.ok, .invalidArgument, .notFound, .failedPrecondition, .unimplemented, .permissionDenied,
                       .internal, .unknown, .cancelled, .unauthenticated] {
            #expect(policy.decide(after: status, attempt: 1) == .answer, "\(status)")
        }
        #expect(policy.decide(after: .unavailable, attempt: 1, left: .zero) == .giveUp, "no time left for another attempt")
        for status in [StatusCode.unavailable, .deadlineExceeded, .resourceExhausted] {
            #expect(policy.decide(after: status, attempt: 1) == .retry, "\(status)")
            #expect(policy.decide(after: status, attempt: 2) == .retry, "\(status)")
            #expect(policy.decide(after: status, attempt: 3) == .giveUp, "\(status)")
        }
    }

    @Test func anAttemptNeverOutlastsTheCallersDeadline() {
        let policy = ForwardPolicy(attemptTimeout: .seconds(2))
        #expect(policy.attemptTimeout(left: nil) == .seconds(2))
        #expect(policy.attemptTimeout(left: .seconds(5)) == .seconds(2))
        #expect(policy.attemptTimeout(left: .milliseconds(300)) == .milliseconds(300))
        #expect(policy.attemptTimeout(left: .zero) == nil)
    }
}

@Suite(.timeLimit(.minutes(1))) struct RouteForwarderTests {
    @Test func roundRobinOverHealthyReplicas() async throws {
        let coordinator = Coordinator(["a", "b", "c"])
        var answered: [String] = []
        for _ in 0..<6 { answered.append(try await coordinator.route().replica) }
        #expect(answered.sorted() == ["a", "a", "b", "b", "c", "c"])
        #expect(Set(answered.prefix(3)) == ["a", "b", "c"])
        #expect(coordinator.forwarder.retries == 0)
    }

    @Test func aFailingReplicaIsRetriedElsewhereAndProbed() async throws {
        let coordinator = Coordinator(["a", "b"])
        coordinator.replicas["a"]!.answerRoute(with: .unavailable)
        coordinator.replicas["a"]!.answerHealth(with: .notServing)
        for _ in 0..<4 {
            let replica = try await coordinator.route().replica
            #expect(replica == "b")
        }
        #expect(coordinator.forwarder.retries >= 1)
        #expect(coordinator.replica("a").status.failures >= 1)
        // The failed forward probed "a" out of turn: it leaves the rotation without a health round.
        while coordinator.replica("a").isHealthy { try await Task.sleep(for: .milliseconds(2)) }
        let before = coordinator.replicas["a"]!.routes
        for _ in 0..<4 { _ = try await coordinator.route() }
        #expect(coordinator.replicas["a"]!.routes == before, "no traffic to a replica out of the rotation")
    }

    @Test func anInternalErrorIsAnsweredNotMultipliedAcrossReplicas() async throws {
        let coordinator = Coordinator(["a", "b", "c"])
        for name in ["a", "b", "c"] { coordinator.replicas[name]!.answerRoute(with: .internal) }
        let error = await #expect(throws: RPCError.self) { try await coordinator.route() }
        #expect(error?.code == .internal)
        #expect(["a", "b", "c"].map { coordinator.replicas[$0]!.routes }.reduce(0, +) == 1)
    }

    @Test func retriesStopAtTheCallersDeadline() async throws {
        let coordinator = Coordinator(["a", "b", "c"], policy: ForwardPolicy(maxAttempts: 3, attemptTimeout: .seconds(30)))
        for name in ["a", "b", "c"] { coordinator.replicas[name]!.hang() }
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            try await coordinator.service.call(Methods.route, RouteRequest(prompt: "p"), timeout: .milliseconds(300))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(15), "the 30 s attempt timeout was cut to the 300 ms deadline")
        #expect(["a", "b", "c"].map { coordinator.replicas[$0]!.routes }.reduce(0, +) <= 1, "no time was left to retry")
    }

    @Test func aRecoveredReplicaRejoinsTheRotationAndRetriesAreCounted() async throws {
        let coordinator = Coordinator(["a", "b", "c"])
        coordinator.replicas["a"]!.answerRoute(with: .unavailable)
        coordinator.replicas["a"]!.answerHealth(with: .notServing)
        var served: [String] = []
        for _ in 0..<6 { served.append(try await coordinator.route().replica) }
        #expect(!served.contains("a"))
        let retries = coordinator.forwarder.retries
        #expect(retries >= 1 && coordinator.forwarder.status.retries == retries)
        coordinator.replicas["a"]!.answerRoute(with: .ok)
        coordinator.replicas["a"]!.answerHealth(with: .serving)
        await coordinator.pool.checkAll()
        served = []
        for _ in 0..<6 { served.append(try await coordinator.route().replica) }
        #expect(served.filter { $0 == "a" }.count == 2, "back in the round robin: \(served)")
        #expect(coordinator.forwarder.retries == retries)
    }

    @Test func aRegisteredReplicaServesOnlyAfterPassingAHealthCheckAndIsDroppedWhenItStaysDown() async throws {
        let coordinator = Coordinator(["a"], dropAfter: .milliseconds(50))
        let late = FakeReplica("late")
        late.answerHealth(with: .notServing)
        let pool = ReplicaPool(dropAfter: .milliseconds(50), logger: Logger(label: "test")) { address in
            address.host == "late" ? late.caller : coordinator.replicas[address.host]!.caller
        }
        pool.add(ServiceAddress(host: "a", port: 1), registered: false)
        let forwarder = RouteForwarder(pool: pool)
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
        let service = InProcessCaller(handlers)
        _ = try await service.call(Methods.register, RegisterRequest(address: "late:1"))
        #expect(pool.all.count == 2)
        #expect(!pool.all[1].isHealthy, "not in the rotation before a check passes")
        for _ in 0..<4 { #expect(try await service.call(Methods.route, RouteRequest(prompt: "p")).replica == "a") }
        #expect(late.routes == 0)
        try await Task.sleep(for: .milliseconds(60))
        await pool.checkAll()
        #expect(pool.all.map(\.address.host) == ["a"], "removed after failing for longer than dropAfter")
        #expect(forwarder.status.dropped == 1)
        // A command-line replica is configuration: it is never dropped.
        coordinator.replicas["a"]!.answerHealth(with: .notServing)
        await pool.checkAll()
        try await Task.sleep(for: .milliseconds(60))
        await pool.checkAll()
        #expect(pool.all.count == 1)
    }

    @Test func aRegisteredReplicaThatPassesItsFirstCheckServes() async throws {
        let fresh = FakeReplica("fresh")
        let pool = ReplicaPool(logger: Logger(label: "test")) { _ in fresh.caller }
        pool.add(ServiceAddress(host: "fresh", port: 1), registered: true)
        try await eventuallyTrue { pool.all[0].isHealthy }  // the immediate probe
        let forwarder = RouteForwarder(pool: pool)
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
        #expect(try await InProcessCaller(handlers).call(Methods.route, RouteRequest(prompt: "p")).replica == "fresh")
    }

    @Test func anAnswerAboutTheRequestIsNotRetried() async throws {
        let coordinator = Coordinator(["a", "b"])
        for name in ["a", "b"] { coordinator.replicas[name]!.answerRoute(with: .invalidArgument) }
        let error = await #expect(throws: RPCError.self) { try await coordinator.route() }
        #expect(error?.code == .invalidArgument)
        #expect(coordinator.replicas["a"]!.routes + coordinator.replicas["b"]!.routes == 1)
        #expect(coordinator.forwarder.retries == 0)
    }

    @Test func attemptsAreCappedAndEveryFailureIsReported() async throws {
        let coordinator = Coordinator(["a", "b", "c"], policy: ForwardPolicy(maxAttempts: 2))
        for name in ["a", "b", "c"] { coordinator.replicas[name]!.answerRoute(with: .unavailable) }
        let error = await #expect(throws: RPCError.self) { try await coordinator.route() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("no router replica answered") == true)
        let tried = ["a", "b", "c"].map { coordinator.replicas[$0]!.routes }.reduce(0, +)
        #expect(tried == 2)
    }

    @Test func noHealthyReplicaIsUnavailableAtOnce() async throws {
        let coordinator = Coordinator(["a"])
        coordinator.replicas["a"]!.answerHealth(with: .notServing)
        await coordinator.pool.checkAll()
        let error = await #expect(throws: RPCError.self) { try await coordinator.route() }
        #expect(error?.message.contains("no healthy router replica") == true)
        #expect(coordinator.replicas["a"]!.routes == 0)
        // Back in the rotation once a health check passes.
        coordinator.replicas["a"]!.answerHealth(with: .serving)
        await coordinator.pool.checkAll()
        let replica = try await coordinator.route().replica
        #expect(replica == "a")
    }

    /// Reload goes to every replica, in the rotation or not; one that fails makes the answer
    /// FAILED_PRECONDITION naming it and how many did reload.
    @Test func reloadGoesToEveryReplicaAndNamesThoseThatFailed() async throws {
        let coordinator = Coordinator(["a", "b", "c"])
        coordinator.replicas["c"]!.answerHealth(with: .notServing)
        await coordinator.pool.checkAll()
        let all = try await coordinator.service.call(Methods.reload, ReloadRequest(path: "v2"))
        #expect(all.replicas.map(\.address) == ["a:1", "b:1", "c:1"] && all.replicas.allSatisfy { $0.version == "v2" && $0.error.isEmpty })
        #expect(all.version == "v2" && all.previousVersion == "old")
        coordinator.replicas["b"]!.answerReload(with: .notFound)
        let error = await #expect(throws: RPCError.self) { try await coordinator.service.call(Methods.reload, ReloadRequest(path: "v3")) }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.hasPrefix("2 of 3 replicas reloaded; b:1: NOT_FOUND") == true, "\(error?.message ?? "")")
        #expect(coordinator.replicas.values.allSatisfy { $0.reloads == 2 })
    }

    @Test func registerAddsAReplicaOnceAndRejectsBadAddresses() async throws {
        let pool = ReplicaPool(logger: Logger(label: "test")) { _ in FakeReplica("x").caller }
        var handlers = RPCHandlers()
        RouteForwarder(pool: pool).register(in: &handlers)
        let service = InProcessCaller(handlers)
        #expect(try await service.call(Methods.register, RegisterRequest(address: "10.0.0.1:7200")).replicas == 1)
        #expect(try await service.call(Methods.register, RegisterRequest(address: "10.0.0.1:7200")).replicas == 1)
        #expect(try await service.call(Methods.register, RegisterRequest(address: "10.0.0.2:7200")).replicas == 2)
        #expect(pool.all.allSatisfy { $0.registered })
        let bad = await #expect(throws: RPCError.self) {
            try await service.call(Methods.register, RegisterRequest(address: "no-port"))
        }
        #expect(bad?.code == .invalidArgument)
    }
}

/// Waits until `condition` holds (the suite's time limit bounds it).
func eventuallyTrue(_ condition: () -> Bool) async throws {
    while !condition() { try await Task.sleep(for: .milliseconds(2)) }
}
