import ArgumentParser
import Foundation
import Logging
import RPC
import RouterService
import ServiceKit
import ServiceLifecycle
import Wire

/// `switchyard-router`: the router service.
@main
struct SwitchyardRouter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-router",
        abstract: "Switchyard's router service: Route (prompt or vector -> model), Reload (also on SIGHUP).", version: switchyardVersion)

    @OptionGroup var service: ServiceOptions

    @Option(help: "Router file to serve (from `switchyard train`).")
    var routerFile: String

    @Option(help: "Embedding service host:port for prompts; absent: embed in-process with the model's hash embedder.")
    var embedAddress: ServiceAddress?

    @Option(help: "Connections kept open to the embedding service.")
    var embedConnections = 2

    @Option(help: "Longest wait for an embedding, in seconds or e.g. 500ms (a request's own deadline may shorten it).")
    var embedTimeout: Duration = .seconds(5)

    @Option(help: "When the embedding service cannot be reached: fail (Route answers UNAVAILABLE) or hash (embed in-process with the hash embedder, for router files trained on hash embeddings; responses say so).")
    var embedFallback: EmbedFallback = .fail

    @Option(help: "While the embedding service is unreachable, how often one request tries it again.")
    var embedRetryAfter: Duration = .seconds(1)

    @Option(help: "Alpha of requests that set neither alpha nor a budget.")
    var defaultAlpha = 0.5

    @Option(help: "A model's typical latency, model=milliseconds, for requests with max_latency_ms (repeatable).")
    var modelLatency: [String] = []

    @Option(help: "Coordinator host:port to register with.")
    var coordinator: ServiceAddress?

    @Option(help: "host:port the coordinator should forward to (default: the bound address).")
    var advertise: ServiceAddress?

    @Option(help: "Name of this replica in responses and at the coordinator (default: its address).")
    var replicaID: String?

    func validate() throws {
        if !(0...1).contains(defaultAlpha) { throw ValidationError("--default-alpha must be in [0, 1]") }
        if embedConnections < 1 { throw ValidationError("--embed-connections must be at least 1") }
        if embedTimeout <= .zero { throw ValidationError("--embed-timeout must be > 0") }
        if embedRetryAfter <= .zero { throw ValidationError("--embed-retry-after must be > 0") }
        if embedFallback != .fail && embedAddress == nil { throw ValidationError("--embed-fallback needs --embed-address") }
        _ = try latencies()
    }

    /// --model-latency flags as model -> milliseconds.
    func latencies() throws -> [String: Double] {
        try Dictionary(modelLatency.map { flag in
            guard let equals = flag.lastIndex(of: "="), let ms = Double(flag[flag.index(after: equals)...]), ms >= 0 else {
                throw ValidationError("--model-latency \(flag): expected model=milliseconds")
            }
            return (String(flag[..<equals]), ms)
        }) { $1 }
    }

    /// The embedding service's client (with its fallback), or the in-process hash embedder.
    func makeEmbedder(for loaded: LoadedRouter, logger: Logger) throws -> any PromptEmbedder {
        guard let embedAddress else { return InProcessHashEmbedder() }
        let service = EmbeddingServiceClient(client: service.client(embedAddress, connections: embedConnections))
        switch embedFallback {
        case .fail:
            return service
        case .hash:
            guard loaded.embedder.kind == "hash" else {
                throw StartupError("--embed-fallback hash: the router file was trained on \(loaded.embedder.kind) embeddings, which the hash embedder cannot stand in for")
            }
            return FallingBackEmbedder(primary: service, fallback: InProcessHashEmbedder(), retryAfter: embedRetryAfter, logger: logger)
        }
    }

    func run() async throws {
        let host = ServiceHost(name: "router", options: service)
        let state: RouterState
        do {
            state = RouterState(try LoadedRouter.load(routerFile))
        } catch {
            throw StartupError("\(error)")
        }
        let embedder = try makeEmbedder(for: state.current, logger: host.logger)
        let replica = ReplicaName(replicaID ?? "")
        let handler = RouteHandler(
            state: state, embedder: embedder, defaultAlpha: defaultAlpha,
            embedTimeout: embedTimeout, latencyMs: try latencies(), replica: replica)
        var handlers = RPCHandlers()
        handler.register(in: &handlers)

        let server = host.makeServer(handlers: handlers, defaultPort: 7200, status: { $0.router = handler.status })
        let bound = try await server.start()
        let address = advertise?.description ?? "\(service.host == "0.0.0.0" ? "127.0.0.1" : service.host):\(bound.port ?? 0)"
        if replica.value.isEmpty { replica.value = address }
        host.logger.info("router file loaded", metadata: [
            "version": "\(state.current.version)", "models": "\(state.current.models.count)",
            "routers": "\(state.current.bundle.entries.map(\.name).joined(separator: ","))", "embedder": "\(embedder.source)",
        ])
        var services: [any Service] = [ReloadOnHangup(reloader: handler.reloader, logger: host.logger)]
        if let coordinator {
            let registration = CoordinatorRegistration(
                coordinator: service.client(coordinator, connectTimeout: .seconds(1), admin: true), address: address,
                replicaID: replica.value, logger: host.logger)
            services.append(registration.service())
        }
        try await host.run(server: server, services: services)
    }
}

/// What a router does when its embedding service cannot be reached.
enum EmbedFallback: String, ExpressibleByArgument, CaseIterable {
    case fail, hash
}
