import Logging
import NIOCore
import RPC
import Synchronization
import Wire

/// Forwards Route to the replicas in turn. A forward that fails for a reason another replica
/// might not have (unreachable, dropped, timed out, overloaded) is retried on the next healthy
/// replica, as `policy` says, since Route is idempotent. Answers a replica gives about the
/// request itself (INVALID_ARGUMENT, NOT_FOUND, ...) go back to the caller as they are.
///
/// The request's bytes are passed through undecoded on NIO futures (no task per request): the
/// documented exception to handlers being async functions of values (see `registerForwarding`).
public final class RouteForwarder: Sendable {
    public let pool: ReplicaPool
    public let policy: ForwardPolicy
    private let retryCount = Atomic<UInt64>(0)

    public init(pool: ReplicaPool, policy: ForwardPolicy = .init()) {
        self.pool = pool
        self.policy = policy
    }

    /// Forwards that failed and were retried on another replica.
    public var retries: UInt64 { retryCount.load(ordering: .relaxed) }

    /// Adds Route (forwarded) and Register (a replica joins) to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.registerForwarding(Methods.route) { [self] body, context in
            let promise = context.eventLoop.makePromise(of: [UInt8].self)
            let timeout = context.request.timeout(atMost: policy.attemptTimeout)
            forward(body, timeout: timeout, tried: [], failures: [], promise: promise)
            return promise.futureResult
        }
        handlers.register(Methods.register) { [pool] request, _ in
            guard let address = try? ServiceAddress(parsing: request.address) else {
                throw RPCError(.invalidArgument, "Register needs address host:port, got \"\(request.address)\"")
            }
            return RegisterResponse(replicas: UInt32(pool.add(address, registered: true)))
        }
    }

    /// Completes `promise` with the first answer a replica gives that `policy` calls final.
    func forward(_ body: [UInt8], timeout: Duration, tried: [Replica], failures: [String], promise: EventLoopPromise<[UInt8]>) {
        guard let replica = pool.next(excluding: tried) else {
            let error = tried.isEmpty
                ? RPCError(.unavailable, "no healthy router replica (\(pool.all.count) known, none passing health checks)")
                : Self.noneAnswered(failures)
            return promise.fail(error)
        }
        if !tried.isEmpty { retryCount.add(1, ordering: .relaxed) }
        let attempt = tried.count + 1
        replica.client.callSerialized(Methods.route.name, body: body, timeout: timeout, preferring: promise.futureResult.eventLoop)
            .whenComplete { result in
                let answer: Envelope
                switch result {
                case .success(let envelope): answer = envelope
                case .failure(let error): answer = .failure(id: 0, RPCError(error))
                }
                let decision = self.policy.decide(after: answer.status, attempt: attempt)
                guard decision != .answer else {
                    replica.answered()  // OK, or the request itself was wrong: not the replica's fault
                    if answer.status == .ok { return promise.succeed(answer.body) }
                    return promise.fail(RPCError(answer.status, answer.errorMessage))
                }
                replica.failedToAnswer()
                self.pool.probe(replica)
                let failures = failures + ["\(replica.address): \(answer.status): \(answer.errorMessage)"]
                guard decision == .retry else { return promise.fail(Self.noneAnswered(failures)) }
                self.forward(body, timeout: timeout, tried: tried + [replica], failures: failures, promise: promise)
            }
    }

    private static func noneAnswered(_ failures: [String]) -> RPCError {
        RPCError(.unavailable, "no router replica answered: " + failures.joined(separator: "; "))
    }

    /// The coordinator's part of Status.
    public var status: CoordinatorStatus {
        var status = CoordinatorStatus()
        status.replicas = pool.all.map(\.status)
        status.retries = retries
        return status
    }
}
