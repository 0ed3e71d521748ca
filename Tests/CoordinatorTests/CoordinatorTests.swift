import Logging
import RPC
import Synchronization
import Testing
import Wire
@testable import Coordinator

/// A router replica in the same process whose answers a test scripts.
final class FakeReplica: Sendable {
    let name: String
    private let state = Mutex<(route: StatusCode, health: ServingStatus, routes: Int)>((.ok, .serving, 0))

    init(_ name: String) { self.name = name }

    /// What Route answers from now on (OK: a decision naming this replica).
    func answerRoute(with status: StatusCode) { state.withLock { $0.route = status } }
    func answerHealth(with status: ServingStatus) { state.withLock { $0.health = status } }
    /// Route requests this replica received.
    var routes: Int { state.withLock { $0.routes } }

    var caller: InProcessCaller {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { [self] request, _ in
            let status = state.withLock { state in
                state.routes += 1
                return state.route
            }
            guard status == .ok else { throw RPCError(status, "\(name) answers \(status)") }
            return RouteResponse(model: request.prompt, replica: name)
        }
        handlers.register(Methods.health) { [self] _, _ in
            HealthResponse(status: state.withLock { $0.health }, service: "router")
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

    init(_ names: [String], policy: ForwardPolicy = .init()) {
        let replicas = Dictionary(uniqueKeysWithValues: names.map { ($0, FakeReplica($0)) })
        self.replicas = replicas
        pool = ReplicaPool(logger: Logger(label: "test")) { address in replicas[address.host]!.caller }
        for name in names { pool.add(ServiceAddress(host: name, port: 1), registered: false) }
        forwarder = RouteForwarder(pool: pool, policy: policy)
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
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
        for status in [StatusCode.ok, .invalidArgument, .notFound, .failedPrecondition, .unimplemented, .permissionDenied] {
            #expect(policy.decide(after: status, attempt: 1) == .answer, "\(status)")
        }
        for status in [StatusCode.unavailable, .deadlineExceeded, .resourceExhausted] {
            #expect(policy.decide(after: status, attempt: 1) == .retry, "\(status)")
            #expect(policy.decide(after: status, attempt: 2) == .retry, "\(status)")
            #expect(policy.decide(after: status, attempt: 3) == .giveUp, "\(status)")
        }
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
