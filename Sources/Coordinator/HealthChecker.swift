import ServiceLifecycle

/// Health-checks every replica every `interval` until shutdown.
public struct HealthChecker: Service {
    let pool: ReplicaPool
    let interval: Duration

    public init(pool: ReplicaPool, interval: Duration) {
        self.pool = pool
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await pool.checkAll()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
