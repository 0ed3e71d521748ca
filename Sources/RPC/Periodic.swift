import ServiceLifecycle

/// A `Service` that runs `work` now and then every `interval` until graceful shutdown: the
/// coordinator's health checks, a router's registration with its coordinator.
public struct Periodic: Service {
    private let interval: Duration
    private let work: @Sendable () async -> Void

    public init(every interval: Duration, _ work: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.work = work
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await work()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
