import RPC
import Wire

/// Reload through the coordinator: the request goes to every router replica it knows at once
/// (in the rotation or not: a replica out of it now serves again later), each with the admin
/// token, so one call rolls a new router file out to every replica (on Kubernetes, after the
/// ConfigMap every pod mounts has changed). The answer lists each replica's result: OK when all
/// reloaded, with the version they all serve; FAILED_PRECONDITION naming those that did not
/// (the others serve the new version: a mixed state the message says, never a silent one).
public struct ReloadFanOut: Sendable {
    let pool: ReplicaPool
    /// A caller with the admin token to `address`, and how to let it go.
    let adminCaller: @Sendable (ServiceAddress) -> (caller: any RPCCaller, close: @Sendable () async -> Void)
    let timeout: Duration

    public init(
        pool: ReplicaPool, timeout: Duration = .seconds(60),
        adminCaller: @escaping @Sendable (ServiceAddress) -> (caller: any RPCCaller, close: @Sendable () async -> Void)
    ) {
        self.pool = pool
        self.timeout = timeout
        self.adminCaller = adminCaller
    }

    /// Adds Reload to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.reload) { [self] request, _ in try await reload(request) }
    }

    func reload(_ request: ReloadRequest) async throws(RPCError) -> ReloadResponse {
        let replicas = pool.all
        guard !replicas.isEmpty else { throw RPCError(.failedPrecondition, "no router replica is known to the coordinator") }
        var answers = await withTaskGroup(of: ReplicaReload.self) { group in
            for replica in replicas {
                group.addTask { await reload(request, on: replica.address) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        answers.sort { $0.address < $1.address }
        let failed = answers.filter { !$0.error.isEmpty }
        guard failed.isEmpty else {
            let reloaded = answers.count - failed.count
            throw RPCError(.failedPrecondition, "\(reloaded) of \(answers.count) replicas reloaded; "
                + failed.map { "\($0.address): \($0.error)" }.joined(separator: "; "))
        }
        var response = ReloadResponse(replicas: answers)
        if Set(answers.map(\.version)).count == 1 {
            response.version = answers[0].version
            if Set(answers.map(\.previousVersion)).count == 1 { response.previousVersion = answers[0].previousVersion }
        }
        return response
    }

    private func reload(_ request: ReloadRequest, on address: ServiceAddress) async -> ReplicaReload {
        let (caller, close) = adminCaller(address)
        defer { Task { await close() } }
        do {
            let answer = try await caller.call(Methods.reload, request, timeout: timeout)
            return ReplicaReload(address: address.description, version: answer.version, previousVersion: answer.previousVersion)
        } catch {
            return ReplicaReload(address: address.description, error: "\(RPCError(error))")
        }
    }
}
