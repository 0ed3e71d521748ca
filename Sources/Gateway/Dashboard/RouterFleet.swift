import RPC
import Synchronization
import Wire

/// The router replicas behind the gateway's router address, as their Status says: which router
/// version each serves and since when. The address may be one router, or a coordinator whose
/// Status lists its replicas (each is then asked directly, with a client made once per address).
public final class RouterFleet: Sendable {
    let router: any RPCCaller
    let connect: @Sendable (ServiceAddress) -> any RPCCaller
    private let clients = Mutex<[String: any RPCCaller]>([:])
    let timeout: Duration

    /// One replica as seen now.
    public struct Replica: Sendable, Equatable {
        public var address: String
        public var healthy: Bool
        /// The router version it serves ("" when it did not answer) and when it loaded it.
        public var version: String
        public var loadedMs: Int64
        /// Why it could not be asked.
        public var problem: String?
    }

    /// - Parameter connect: a client to a replica's address (the gateway's token, no admin).
    public init(router: any RPCCaller, timeout: Duration = .seconds(1), connect: @escaping @Sendable (ServiceAddress) -> any RPCCaller) {
        self.router = router
        self.timeout = timeout
        self.connect = connect
    }

    /// The replicas now: the router itself, or each replica its coordinator lists (asked at once).
    public func replicas() async -> [Replica] {
        let status: StatusResponse
        do {
            status = try await router.call(Methods.status, StatusRequest(), timeout: timeout)
        } catch {
            return [Replica(address: router.target, healthy: false, version: "", loadedMs: 0, problem: "\(RPCError(error).message)")]
        }
        if let own = status.router {
            return [Replica(address: status.address, healthy: true, version: own.routerVersion, loadedMs: own.loadedMs)]
        }
        let listed = status.coordinator?.replicas ?? []
        return await withTaskGroup(of: Replica.self) { group in
            for replica in listed {
                group.addTask { await self.ask(replica) }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.address < $1.address }
        }
    }

    private func ask(_ listed: ReplicaStatus) async -> Replica {
        var replica = Replica(address: listed.address, healthy: listed.healthy, version: "", loadedMs: 0)
        guard let address = try? ServiceAddress(parsing: listed.address) else {
            replica.problem = "not an address"
            return replica
        }
        let client = clients.withLock { clients in
            if let made = clients[listed.address] { return made }
            let made = connect(address)
            clients[listed.address] = made
            return made
        }
        do {
            let status = try await client.call(Methods.status, StatusRequest(), timeout: timeout)
            replica.version = status.router?.routerVersion ?? ""
            replica.loadedMs = status.router?.loadedMs ?? 0
        } catch {
            replica.problem = RPCError(error).message
        }
        return replica
    }
}
