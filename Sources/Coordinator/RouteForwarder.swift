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
        handlers.register(Methods.route) { [self] request, context in
            let timeout = context.remaining.map { min($0, forwardTimeout) } ?? forwardTimeout
            return .later { try await self.forward(request, timeout: timeout) }
        }
        handlers.register(Methods.register) { [pool] request, _ in
            guard let address = try? ServiceAddress(parsing: request.address) else {
                throw RPCError(.invalidArgument, "Register needs address host:port, got \"\(request.address)\"")
            }
            return .now(RegisterResponse(replicas: UInt32(pool.add(address, registered: true))))
        }
    }

    /// The first answer a replica gives that is not a transient failure.
    public func forward(_ request: RouteRequest, timeout: TimeAmount) async throws -> RouteResponse {
        var tried: [Replica] = []
        var failures: [String] = []
        while tried.count < maxAttempts, let replica = pool.next(excluding: tried) {
            if !tried.isEmpty { retryCount.add(1, ordering: .relaxed) }
            tried.append(replica)
            do {
                let response = try await replica.client.call(Methods.route, request, timeout: timeout)
                replica.forwardSucceeded()
                return response
            } catch let error as RPCError where Self.isTransient(error.code) {
                replica.forwardFailed()
                pool.probe(replica)
                failures.append("\(replica.address): \(error)")
            }
        }
        if tried.isEmpty {
            throw RPCError(.unavailable, "no healthy router replica (\(pool.all.count) known, none passing health checks)")
        }
        throw RPCError(.unavailable, "no router replica answered: " + failures.joined(separator: "; "))
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
