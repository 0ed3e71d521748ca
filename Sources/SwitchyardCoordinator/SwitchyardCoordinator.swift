import ArgumentParser
import Coordinator
import NIOCore
import RPC
import ServiceKit
import Wire

/// `switchyard-coordinator`: round-robin in front of router replicas.
@main
struct SwitchyardCoordinator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-coordinator",
        abstract: "Switchyard's coordinator: speaks the router's protocol and forwards Route round-robin to healthy replicas.")

    @OptionGroup var service: ServiceOptions

    @Option(name: .customLong("replica"), help: "A router replica host:port (repeatable; replicas may also Register).")
    var replicas: [ServiceAddress] = []

    @Option(help: "Seconds between health checks of every replica.")
    var healthInterval = 1.0

    @Option(help: "Seconds a health check waits.")
    var healthTimeout = 0.5

    @Option(help: "Longest one forward may take, in seconds, before it is retried on another replica.")
    var forwardTimeout = 2.0

    @Option(help: "Different replicas tried per request.")
    var maxAttempts = 3

    @Option(help: "Connections kept open to each replica.")
    var replicaConnections = 2

    func validate() throws {
        if !(healthInterval > 0) || !(healthTimeout > 0) || !(forwardTimeout > 0) {
            throw ValidationError("--health-interval, --health-timeout and --forward-timeout must be > 0")
        }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if replicaConnections < 1 { throw ValidationError("--replica-connections must be at least 1") }
    }

    func run() async throws {
        let host = ServiceHost(name: "coordinator", options: service)
        let pool = ReplicaPool(
            clientConfiguration: .init(
                wire: service.wireConfiguration, connectTimeout: .milliseconds(Int64(healthTimeout * 1000)),
                connections: replicaConnections),
            healthTimeout: .milliseconds(Int64(healthTimeout * 1000)), logger: host.logger)
        for replica in replicas { pool.add(replica, registered: false) }
        let forwarder = RouteForwarder(
            pool: pool, maxAttempts: maxAttempts, forwardTimeout: .milliseconds(Int64(forwardTimeout * 1000)))
        var handlers = RPCHandlers()
        forwarder.register(in: &handlers)
        try await host.run(
            handlers: handlers, defaultPort: 7300,
            health: { pool.healthyCount > 0 ? .serving : .notServing },
            status: { $0.coordinator = forwarder.status },
            services: [HealthChecker(pool: pool, interval: .milliseconds(Int64(healthInterval * 1000)))])
    }
}
