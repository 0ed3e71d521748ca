import Logging
import RPC
import Synchronization
import Wire

/// The coordinator's router replicas and its round-robin turn among the healthy ones.
///
/// Replicas come from the command line or from Register; they are never removed, only taken out
/// of the rotation while their health checks fail, and put back when they pass.
public final class ReplicaPool: Sendable {
    private let replicas = Mutex<[Replica]>([])
    private let turn = Atomic<Int>(0)
    private let connect: @Sendable (ServiceAddress) -> any ForwardingCaller
    let healthTimeout: Duration
    let logger: Logger

    /// - Parameter connect: makes the client of a replica at an address (an `RPCClient`; tests
    ///   hand out `InProcessCaller`s).
    public init(
        healthTimeout: Duration = .milliseconds(500), logger: Logger,
        connect: @escaping @Sendable (ServiceAddress) -> any ForwardingCaller
    ) {
        self.connect = connect
        self.healthTimeout = healthTimeout
        self.logger = logger
    }

    /// Adds a replica unless one with the same address is there; returns the number of replicas.
    @discardableResult
    public func add(_ address: ServiceAddress, registered: Bool) -> Int {
        let (count, added) = replicas.withLock { replicas -> (Int, Bool) in
            guard !replicas.contains(where: { $0.address == address }) else { return (replicas.count, false) }
            replicas.append(Replica(address: address, client: connect(address), registered: registered))
            return (replicas.count, true)
        }
        if added { logger.info("replica added", metadata: ["address": "\(address)", "registered": "\(registered)", "replicas": "\(count)"]) }
        return count
    }

    public var all: [Replica] { replicas.withLock { $0 } }

    /// The next healthy replica in round-robin order that is not in `excluded`; nil when none is left.
    func next(excluding excluded: [Replica]) -> Replica? {
        let replicas = self.replicas.withLock { $0 }
        guard !replicas.isEmpty else { return nil }
        let start = turn.add(1, ordering: .relaxed).oldValue
        for offset in 0..<replicas.count {
            let replica = replicas[(start &+ offset) % replicas.count]
            if replica.isHealthy && !excluded.contains(where: { $0 === replica }) { return replica }
        }
        return nil
    }

    /// Health-checks every replica once, concurrently.
    public func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for replica in all { group.addTask { await self.check(replica) } }
        }
    }

    /// Checks `replica` now, out of turn, unless a check of it is already running: called after
    /// a forward to it failed, so a dead replica leaves the rotation within one round trip.
    func probe(_ replica: Replica) {
        guard replica.beginProbe() else { return }
        Task {
            await check(replica)
            replica.endProbe()
        }
    }

    /// One Health call; SERVING within the timeout keeps (or puts) the replica in the rotation.
    func check(_ replica: Replica) async {
        let healthy: Bool
        do {
            healthy = try await replica.client.call(Methods.health, HealthRequest(), timeout: healthTimeout).status == .serving
        } catch {
            healthy = false
        }
        let was = replica.setHealthy(healthy)
        if was != healthy {
            logger.log(
                level: healthy ? .info : .warning, healthy ? "replica back in the rotation" : "replica out of the rotation",
                metadata: ["address": "\(replica.address)"])
        }
    }

    /// Replicas in the rotation now.
    public var healthyCount: Int { all.filter(\.isHealthy).count }
}
