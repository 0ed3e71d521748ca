import ArgumentParser
import Gateway
import RPC
import ServiceKit
import Wire

/// `switchyard-gateway`: the model gateway.
@main
struct SwitchyardGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-gateway",
        abstract: "Switchyard's model gateway: Complete with a named model, or \"auto\" routed by the router, with fallback and cost accounting.")

    @OptionGroup var service: ServiceOptions

    @Option(help: "Upstream configuration (JSON; see deploy/config/gateway-replay.json).")
    var config: String

    @Option(help: "Router or coordinator host:port for model \"auto\" (absent: only named models).")
    var router: ServiceAddress?

    @Option(help: "Connections kept open to the router.")
    var routerConnections = 2

    @Option(help: "Longest wait for a routing decision (seconds, or e.g. 500ms).")
    var routeTimeout: Duration = .seconds(2)

    @Option(help: "Models tried per \"auto\" request: the router's choice, then its next-ranked models.")
    var maxAttempts = 3

    func validate() throws {
        if routerConnections < 1 { throw ValidationError("--router-connections must be at least 1") }
        if routeTimeout <= .zero { throw ValidationError("--route-timeout must be > 0") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() async throws {
        let host = ServiceHost(name: "gateway", options: service)
        let upstreams: [any Upstream]
        do {
            upstreams = try GatewayConfiguration.load(config).makeUpstreams()
        } catch {
            throw StartupError("\(error)")
        }
        let handler = CompleteHandler(
            upstreams: upstreams, router: router.map { service.client($0, connections: routerConnections) },
            maxAttempts: maxAttempts, routeTimeout: routeTimeout)
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        host.logger.info("upstreams configured", metadata: [
            "models": "\(upstreams.map(\.configuration.name).sorted().joined(separator: ", "))",
            "router": "\(router?.description ?? "none")",
        ])
        try await host.run(handlers: handlers, defaultPort: 7400, status: { $0.gateway = handler.ledger.status })
    }
}
