import ArgumentParser
import Learner
import RPC
import RouterCore
import RouterFile
import ServiceKit
import Store

/// `switchyard-learner`: learns from the scores in the outcome store and publishes router
/// versions to every replica (see `LearnerLoop`). A service like the others: Health is SERVING
/// while it holds the store's lease (the one writer) and NOT_SERVING while it waits for it;
/// Status says what it learned and which version the replicas should serve.
@main
struct SwitchyardLearner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-learner",
        abstract: "Switchyard's learner: learns from the feedback in the outcome store and publishes router versions to the replicas.",
        version: switchyardVersion)

    @OptionGroup var service: ServiceOptions

    @Option(help: "The outcome store the gateways write: sqlite:PATH or postgres://...")
    var store: String

    @Option(help: "The router file to start from: its cluster router's clusters and statistics (the warm start).")
    var routerFile: String

    @Option(help: "The gateway's configuration: the models it offers and their prices (models join and leave with it).")
    var gatewayConfig: String?

    @Option(name: .customLong("push"), help: "A coordinator's (or a router's) host:port to push versions to (repeatable).")
    var targets: [ServiceAddress] = []

    @Option(help: "How often to learn what is new, publish and push (seconds, or e.g. 500ms).")
    var publishInterval: Duration = .seconds(10)

    @OptionGroup(title: "Learning") var learning: LearnerOptions

    func validate() throws {
        if publishInterval <= .zero { throw ValidationError("--publish-interval must be > 0") }
    }

    func run() async throws {
        let host = ServiceHost(name: "learner", options: service)
        var settings = LearnerLoop.Settings()
        settings.interval = publishInterval
        settings.gatewayConfig = gatewayConfig
        settings.targets = targets
        settings.adminToken = try service.adminTokenFile.map { file in
            do { return try Authentication.token(fromFile: file) } catch { throw ValidationError("--admin-token-file: \(error)") }
        }
        settings.learning = learning.settings
        let base: RouterBundle
        do { base = try RouterFile.load(routerFile) } catch { throw ValidationError("--router-file: \(error)") }
        let location = try StoreLocation(parsing: store)
        let loop = try LearnerLoop(store: try LearningStore(location), base: base, settings: settings, logger: host.logger)
        host.logger.notice("learning", metadata: [
            "store": "\(location)", "base": "\(base.version)", "push": "\(targets.map(\.description).joined(separator: ","))",
            "interval": "\(publishInterval)", "holder": "\(loop.holder)",
        ])
        try await host.run(
            handlers: RPCHandlers(), defaultPort: 7500,
            health: { loop.status.holdsLease ? .serving : .notServing },
            status: { $0.learner = loop.status }, services: [loop])
    }
}
