import ArgumentParser
import Dispatch
import Foundation
import Learner
import Logging
import RPC
import RouterCore
import RouterFile
import ServiceKit
import Store

/// `switchyard-learner`: learns from the scores in the outcome store and publishes router
/// versions to every replica (see `LearnerLoop`).
@main
struct SwitchyardLearner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-learner",
        abstract: "Switchyard's learner: learns from the feedback in the outcome store and publishes router versions to the replicas.",
        version: switchyardVersion)

    @Option(help: "The outcome store the gateways write: sqlite:PATH or postgres://...")
    var store: String

    @Option(help: "The router file to start from: its cluster router's clusters and statistics (the warm start).")
    var routerFile: String

    @Option(help: "The gateway's configuration: the models it offers and their prices (models join and leave with it).")
    var gatewayConfig: String?

    @Option(name: .customLong("push"), help: "A coordinator's (or a router's) host:port to push versions to (repeatable).")
    var targets: [ServiceAddress] = []

    @Option(help: "File holding the admin token (Reload needs it when the services have one).")
    var adminTokenFile: String?

    @Option(help: "How often to learn what is new, publish and push (seconds, or e.g. 500ms).")
    var publishInterval: Duration = .seconds(10)

    @Option(help: "Scores after which a score counts half (forgetting, so drift is followed).")
    var halfLife = 2000.0

    @Option(help: "Pseudo-observations of a model's global estimate in each cluster's estimate (back-off).")
    var backoff = 10.0

    @Option(help: "The most pseudo-observations a cell's offline statistics count for at the start.")
    var warmCap = 20.0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if publishInterval <= .zero { throw ValidationError("--publish-interval must be > 0") }
        if !(halfLife > 0) || !(backoff >= 0) || !(warmCap >= 0) { throw ValidationError("--half-life must be > 0, --backoff and --warm-cap >= 0") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "switchyard.learner")
        logger.logLevel = logLevel
        var settings = LearnerLoop.Settings()
        settings.interval = publishInterval
        settings.gatewayConfig = gatewayConfig
        settings.targets = targets
        settings.adminToken = try adminTokenFile.map { file in
            do { return try Authentication.token(fromFile: file) } catch { throw ValidationError("--admin-token-file: \(error)") }
        }
        settings.learning.halfLife = halfLife
        settings.learning.backoff = backoff
        settings.learning.warmStartCap = warmCap
        let base: RouterBundle
        do { base = try RouterFile.load(routerFile) } catch { throw ValidationError("--router-file: \(error)") }
        let location = try StoreLocation(parsing: store)
        let loop = try LearnerLoop(store: try LearningStore(location), base: base, settings: settings, logger: logger)
        logger.notice("learning", metadata: [
            "store": "\(location)", "base": "\(base.version)", "push": "\(targets.map(\.description).joined(separator: ","))",
            "interval": "\(publishInterval)", "holder": "\(loop.holder)",
        ])
        let task = Task { await loop.run() }
        // SIGTERM and SIGINT end the loop (the lease let go) and the process with 0.
        let stops = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        await task.value
        stops.forEach { $0.cancel() }
        logger.notice("stopped")
    }
}
