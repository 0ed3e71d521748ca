import Logging
import NIOCore
import RPC
import Synchronization
import Wire

/// Forwards Route to the replicas in turn. A forward that fails for a reason another replica
/// might not have (unreachable, shutting down, overloaded, too slow) is retried on the next
/// healthy replica, as `policy` says, since Route is idempotent; every attempt waits at most
/// what is left of the caller's deadline. Other answers (INVALID_ARGUMENT, NOT_FOUND, INTERNAL,
/// ...) go back to the caller as they are.
///
/// The request is relayed as its encoded Envelope (only its id, deadline and token rewritten;
/// the body never decoded or copied) from the caller's event loop to a replica connection on the
/// same loop, and the replica's answer comes back the same way, with callbacks (no task, no
/// future per request): the documented exception to handlers being async functions of values
/// (see `registerForwarding`).
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

    /// Adds Route (forwarded) and Register (a replica joins) to `handlers`; the router's methods
    /// the coordinator does not serve are answered UNIMPLEMENTED, naming what it forwards.
    public func register(in handlers: inout RPCHandlers) {
        handlers.registerForwarding(Methods.route) { [self] request, context, respond in
            forward(request, context: context.request, on: context.eventLoop, tried: [], failures: [], respond: respond)
        }
        for method in ServiceMethods.router where !ServiceMethods.coordinator.contains(method) {
            handlers.refuse(method, with: RPCError(
                .unimplemented,
                "the coordinator forwards only \(Methods.route.name) to its router replicas; call \(method) on each router"))
        }
        handlers.register(Methods.register) { [pool] request, _ in
            guard let address = try? ServiceAddress(parsing: request.address) else {
                throw RPCError(.invalidArgument, "Register needs address host:port, got \"\(request.address)\"")
            }
            return RegisterResponse(replicas: UInt32(pool.add(address, registered: true)))
        }
    }

    /// Calls `respond` with the first answer a replica gives that `policy` calls final. A replica
    /// that fails to answer is logged with the call's trace (`context.logger`).
    func forward(
        _ request: EncodedEnvelope, context: ServerContext, on eventLoop: any EventLoop, tried: [Replica],
        failures: [String], respond: @escaping Respond
    ) {
        let deadline = context.deadline
        let left = deadline.map { ContinuousClock.now.duration(to: $0) }
        guard let timeout = policy.attemptTimeout(left: left) else {
            return respond(.failure(RPCError(.deadlineExceeded, "the caller's deadline passed" + Self.after(failures))))
        }
        guard let replica = pool.next(excluding: tried) else {
            let error = tried.isEmpty
                ? RPCError(.unavailable, "no healthy router replica (\(pool.all.count) known, none passing health checks)")
                : Self.noneAnswered(failures)
            return respond(.failure(error))
        }
        if !tried.isEmpty { retryCount.add(1, ordering: .relaxed) }
        let attempt = tried.count + 1
        replica.client.forward(request, timeout: timeout, on: eventLoop) { result in
            let status: StatusCode
            let message: String
            switch result {
            case .success(let answer): (status, message) = (answer.status, "")
            case .failure(let error): (status, message) = (error.code, error.message)
            }
            let decision = self.policy.decide(
                after: status, attempt: attempt, left: deadline.map { ContinuousClock.now.duration(to: $0) })
            guard decision != .answer else {
                replica.answered()  // OK, or the request itself was wrong: not the replica's fault
                return respond(result)  // the replica's answer, passed on as it came
            }
            replica.failedToAnswer()
            self.pool.probe(replica)
            let reason = (try? result.get().errorMessage) ?? message
            let failures = failures + ["\(replica.address): \(status): \(reason)"]
            context.logger.notice(
                decision == .retry ? "a replica failed to answer: trying another" : "a replica failed to answer",
                metadata: ["replica": "\(replica.address)", "status": "\(status)", "reason": "\(reason)"])
            guard decision == .retry else {
                let expired = deadline.map { $0 <= .now } ?? false
                return respond(.failure(
                    expired ? RPCError(.deadlineExceeded, "the caller's deadline passed" + Self.after(failures))
                        : Self.noneAnswered(failures)))
            }
            self.forward(request, context: context, on: eventLoop, tried: tried + [replica], failures: failures, respond: respond)
        }
    }

    private static func noneAnswered(_ failures: [String]) -> RPCError {
        RPCError(.unavailable, "no router replica answered: " + failures.joined(separator: "; "))
    }

    private static func after(_ failures: [String]) -> String {
        failures.isEmpty ? "" : " after: " + failures.joined(separator: "; ")
    }

    /// The coordinator's part of Status.
    public var status: CoordinatorStatus {
        var status = CoordinatorStatus()
        status.replicas = pool.all.map(\.status)
        status.retries = retries
        status.dropped = pool.dropped
        return status
    }
}
