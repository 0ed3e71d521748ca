import Logging
import NIOCore
import RPC
import Synchronization
import Wire

/// Forwards Route to the replicas in turn. A forward that fails for a reason another replica
/// might not have (unreachable, dropped, timed out, overloaded) is retried on the next healthy
/// replica, up to `maxAttempts` different replicas, since Route is idempotent. Answers a replica
/// gives about the request itself (INVALID_ARGUMENT, NOT_FOUND, ...) go back to the caller as they are.
public final class RouteForwarder: Sendable {
    public let pool: ReplicaPool
    /// Different replicas tried per request.
    public let maxAttempts: Int
    /// The longest one forward may take (a request's own deadline may shorten it).
    public let forwardTimeout: TimeAmount
    private let retryCount = Atomic<UInt64>(0)

    public init(pool: ReplicaPool, maxAttempts: Int = 3, forwardTimeout: TimeAmount = .seconds(2)) {
        self.pool = pool
        self.maxAttempts = maxAttempts
        self.forwardTimeout = forwardTimeout
    }

    /// Forwards that failed and were retried on another replica.
    public var retries: UInt64 { retryCount.load(ordering: .relaxed) }

    /// Adds Route (forwarded) and Register (a replica joins) to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.registerForwarding(Methods.route) { [self] body, context in
            let timeout = context.remaining.map { min($0, forwardTimeout) } ?? forwardTimeout
            let promise = context.eventLoop.makePromise(of: [UInt8].self)
            forward(body, timeout: timeout, tried: [], failures: [], promise: promise)
            return promise.futureResult
        }
        handlers.register(Methods.register) { [pool] request, _ in
            guard let address = try? ServiceAddress(parsing: request.address) else {
                throw RPCError(.invalidArgument, "Register needs address host:port, got \"\(request.address)\"")
            }
            return .now(RegisterResponse(replicas: UInt32(pool.add(address, registered: true))))
        }
    }

    /// Completes `promise` with the first answer a replica gives that is not a transient
    /// failure. The request's bytes are passed through as they are (the router checks them), and
    /// everything stays on NIO futures: no task, no decoding.
    func forward(_ body: [UInt8], timeout: TimeAmount, tried: [Replica], failures: [String], promise: EventLoopPromise<[UInt8]>) {
        guard tried.count < maxAttempts, let replica = pool.next(excluding: tried) else {
            let error = tried.isEmpty
                ? RPCError(.unavailable, "no healthy router replica (\(pool.all.count) known, none passing health checks)")
                : RPCError(.unavailable, "no router replica answered: " + failures.joined(separator: "; "))
            return promise.fail(error)
        }
        if !tried.isEmpty { retryCount.add(1, ordering: .relaxed) }
        replica.client.callSerialized(Methods.route.name, body: body, timeout: timeout, preferring: promise.futureResult.eventLoop)
            .whenComplete { result in
                let failure: RPCError
                switch result {
                case .success(let envelope) where envelope.status == .ok:
                    replica.answered()
                    return promise.succeed(envelope.body)
                case .success(let envelope):
                    failure = RPCError(envelope.status, envelope.errorMessage)
                case .failure(let error):
                    failure = RPCError(error)
                }
                guard Self.isTransient(failure.code) else {
                    replica.answered()  // the request itself was wrong: not the replica's fault
                    return promise.fail(failure)
                }
                replica.failedToAnswer()
                self.pool.probe(replica)
                self.forward(body, timeout: timeout, tried: tried + [replica], failures: failures + ["\(replica.address): \(failure)"], promise: promise)
            }
    }

    /// Failures another replica may not share.
    static func isTransient(_ code: StatusCode) -> Bool {
        switch code {
        case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted, .cancelled, .internal, .unknown: true
        default: false
        }
    }

    /// The coordinator's part of Status.
    public var status: CoordinatorStatus {
        var status = CoordinatorStatus()
        status.replicas = pool.all.map(\.status)
        status.retries = retries
        return status
    }
}
