import ArgumentParser
import Coordinator
import RPC
import ServiceKit
import Wire

/// `switchyard-coordinator`: round-robin in front of router replicas.
@main
struct SwitchyardCoordinator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-coordinator",
        abstract: "Switchyard's coordinator: speaks the router's protocol and forwards Route round-robin to healthy replicas.", version: switchyardVersion)

    @OptionGroup var service: ServiceOptions

    @Option(name: .customLong("replica"), help: "A router replica host:port (repeatable; replicas may also Register).")
    var replicas: [ServiceAddress] = []

    @Option(help: "Time between health checks of every replica (seconds, or e.g. 500ms).")
    var healthInterval: Duration = .seconds(1)

    @Option(help: "How long a health check waits.")
    var healthTimeout: Duration = .milliseconds(500)

    @Option(help: "Longest one forward may take before it is retried on another replica.")
    var forwardTimeout: Duration = .seconds(2)

    @Option(help: "Different replicas tried per request.")
    var maxAttempts = 3

    @Option(help: "Connections kept open to each replica.")
    var replicaConnections = 2

    @Option(help: "Remove a registered replica whose health checks have failed for this long.")
    var dropAfter: Duration = .seconds(30)

    func validate() throws {
        if healthInterval <= .zero || healthTimeout <= .zero || forwardTimeout <= .zero {
            throw ValidationError("--health-interval, --health-timeout and --forward-timeout must be > 0")
        }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if replicaConnections < 1 { throw ValidationError("--replica-connections must be at least 1") }
    }

    func run() async throws {
        let host = ServiceHost(name: "coordinator", options: service)
        let pool = ReplicaPool(healthTimeout: healthTimeout, dropAfter: dropAfter, logger: host.logger) { [service, replicaConnections, healthTimeout] in
            service.client($0, connections: replicaConnections, connectTimeout: healthTimeout)
        }
        for replica in replicas { pool.add(replica, registered: false) }
        let forwarder = RouteForwarder(pool: pool, policy: ForwardPolicy(maxAttempts: maxAttempts, attemptTimeout: forwardTimeout))
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
        ReloadFanOut(pool: pool) { [service] address in
            let client = service.client(address, admin: true)
            return (client, { await client.close() })
        }.register(in: &handlers)
        try await host.run(
            handlers: handlers, defaultPort: 7300,
            health: { pool.healthyCount > 0 ? .serving : .notServing },
            status: { $0.coordinator = forwarder.status },
            services: [Periodic(every: healthInterval) { await pool.checkAll() }])
    }
}
