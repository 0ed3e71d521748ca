import Logging
import RPC
import Synchronization
import Wire

/// The coordinator's router replicas and its round-robin turn among the healthy ones.
///
/// Replicas come from the command line or from Register. They are taken out of the rotation
/// while their health checks fail and put back when they pass; a registered replica enters the
/// rotation only after its first passing check, and is removed after failing for `dropAfter`
/// (one from the command line is configuration, and stays).
public final class ReplicaPool: Sendable {
    private let replicas = Mutex<[Replica]>([])
    private let turn = Atomic<Int>(0)
    private let droppedCount = Atomic<UInt64>(0)
    private let connect: @Sendable (ServiceAddress) -> any ForwardingCaller
    let healthTimeout: Duration
    /// How long a registered replica may fail its health checks before it is removed.
    public let dropAfter: Duration
    let logger: Logger

    /// - Parameter connect: makes the client of a replica at an address (an `RPCClient`; tests
    ///   hand out `InProcessCaller`s).
    public init(
        healthTimeout: Duration = .milliseconds(500), dropAfter: Duration = .seconds(30), logger: Logger,
        connect: @escaping @Sendable (ServiceAddress) -> any ForwardingCaller
    ) {
        self.connect = connect
        self.healthTimeout = healthTimeout
        self.dropAfter = dropAfter
        self.logger = logger
    }

    /// Registered replicas removed for failing their health checks.
    public var dropped: UInt64 { droppedCount.load(ordering: .relaxed) }

    /// Adds a replica unless one with the same address is there; returns the number of replicas.
    /// A registered one is health-checked at once, and serves from its first passing check.
    @discardableResult
    public func add(_ address: ServiceAddress, registered: Bool) -> Int {
        let (count, added) = replicas.withLock { replicas -> (Int, Replica?) in
            guard !replicas.contains(where: { $0.address == address }) else { return (replicas.count, nil) }
            let replica = Replica(address: address, client: connect(address), registered: registered)
            replicas.append(replica)
            return (replicas.count, replica)
        }
        if let added {
            logger.info("replica added", metadata: ["address": "\(address)", "registered": "\(registered)", "replicas": "\(count)"])
            if registered { probe(added) }
        }
        return count
    }

    /// Removes registered replicas that have failed their health checks for `dropAfter`.
    func dropLongUnhealthy(now: ContinuousClock.Instant = .now) {
        let gone = replicas.withLock { replicas -> [Replica] in
            let gone = replicas.filter { $0.registered && ($0.unhealthyFor(now: now) ?? .zero) >= dropAfter }
            replicas.removeAll { replica in gone.contains { $0 === replica } }
            return gone
        }
        for replica in gone {
            droppedCount.add(1, ordering: .relaxed)
            logger.warning(
                "registered replica removed: unhealthy too long",
                metadata: ["address": "\(replica.address)", "after": "\(dropAfter)"])
            Task { await (replica.client as? RPCClient)?.close() }
        }
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

    /// Health-checks every replica once, concurrently, then removes registered ones unhealthy
    /// for `dropAfter`.
    public func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for replica in all { group.addTask { await self.check(replica) } }
        }
        dropLongUnhealthy()
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
