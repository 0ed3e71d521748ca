import Foundation
import HTTPKit
import Logging
import NIOCore
import RPC
import Synchronization
import ServiceLifecycle
import Wire

/// The build's version, reported by Health and Status.
public let switchyardVersion = "0.1.0"

/// Runs one Switchyard service: logging, the RPC server with Health and Status added to the
/// service's own methods, a port file, and graceful shutdown on SIGTERM or SIGINT.
public struct ServiceHost: Sendable {
    /// "router", "embed", "coordinator", "gateway", ...
    public let name: String
    public let options: ServiceOptions
    public let logger: Logger
    /// Counters of the RPC server, for the service's own Status part.
    public let stats = ServerStats()

    /// The Prometheus endpoint, when --metrics-port is given.
    private let metricsServer: HTTPServer?
    /// What Health answers (set by `makeServer`), for the metrics endpoint's /healthz.
    private let health = HealthSource()

    /// Sets up logging (once per process) at the options' level, and the Prometheus registry
    /// when --metrics-port is given: create the service's metrics after this.
    public init(name: String, options: ServiceOptions) {
        self.name = name
        self.options = options
        LoggingBootstrap.once()
        var logger = Logger(label: "switchyard.\(name)")
        logger.logLevel = options.logLevel
        self.logger = logger
        if let metricsPort = options.metricsPort {
            MetricsEndpoint.bootstrap()
            metricsServer = MetricsEndpoint.server(host: options.host, port: metricsPort, logger: logger) { [health] in
                health.current()
            }
        } else {
            metricsServer = nil
        }
    }

    /// Serves `handlers` plus Health and Status until SIGTERM/SIGINT, alongside `services`.
    ///
    /// - Parameters:
    ///   - defaultPort: the port when --port is absent.
    ///   - health: whether the service can take requests now.
    ///   - status: fills in the service's own part of a StatusResponse.
    public func run(
        handlers: RPCHandlers, defaultPort: Int,
        health: @escaping @Sendable () -> ServingStatus = { .serving },
        status: @escaping @Sendable (inout StatusResponse) -> Void = { _ in },
        services: [any Service] = []
    ) async throws {
        let server = makeServer(handlers: handlers, defaultPort: defaultPort, health: health, status: status)
        try await run(server: server, services: services)
    }

    /// Serves `server` (from `makeServer`, started or not) until SIGTERM/SIGINT, alongside
    /// `services` and the metrics endpoint; writes the port file once listening.
    public func run(server: RPCServer, services: [any Service] = []) async throws {
        let address = try await server.start()
        if let metricsServer {
            let metricsAddress = try await metricsServer.start()
            logger.info("serving Prometheus metrics", metadata: ["address": "\(Self.hostPort(metricsAddress))/metrics"])
        }
        logger.info("serving", metadata: ["service": "\(name)", "address": "\(Self.hostPort(address))"])
        if let portFile = options.portFile {
            try "\(address.port ?? 0)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
        }
        let metricsServices: [any Service] = metricsServer.map { [$0] } ?? []
        let group = ServiceGroup(
            configuration: .init(
                services: ([server] + services + metricsServices).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The RPC server for `handlers` plus Health and Status, not yet started.
    public func makeServer(
        handlers: RPCHandlers, defaultPort: Int,
        health: @escaping @Sendable () -> ServingStatus = { .serving },
        status: @escaping @Sendable (inout StatusResponse) -> Void = { _ in }
    ) -> RPCServer {
        self.health.answer(with: health)
        let box = ServerBox()
        let server = RPCServer(
            configuration: options.serverConfiguration(defaultPort: defaultPort),
            core: core(handlers: handlers, health: health, status: status) { box.server?.localAddress.map(Self.hostPort) ?? "" },
            logger: logger)
        box.server = server
        return server
    }

    /// The server core of this service, transport-free: `handlers` plus Health and Status behind
    /// the standard interceptors, with the tokens of --auth-token-file and --admin-token-file.
    /// `RPCServer` serves it; `InProcessCaller` calls it the same way in tests.
    public func core(
        handlers: RPCHandlers, health: @escaping @Sendable () -> ServingStatus = { .serving },
        status: @escaping @Sendable (inout StatusResponse) -> Void = { _ in },
        address: @escaping @Sendable () -> String = { "" }
    ) -> ServerCore {
        let serving = withHealthAndStatus(handlers, health: health, status: status, address: address)
        return .standard(
            service: name, handlers: serving, authentication: Authentication(callerToken: options.callerToken, adminToken: options.adminToken),
            stats: stats)
    }

    /// `handlers` plus the Health and Status every service answers; `address` tells Status
    /// where the service listens.
    func withHealthAndStatus(
        _ handlers: RPCHandlers, health: @escaping @Sendable () -> ServingStatus = { .serving },
        status: @escaping @Sendable (inout StatusResponse) -> Void = { _ in },
        address: @escaping @Sendable () -> String = { "" }
    ) -> RPCHandlers {
        var handlers = handlers
        let name = self.name
        let stats = self.stats
        let metricsServer = self.metricsServer
        // Both answer on the event loop, with no task: Health is what probes and keepalive pings ask.
        handlers.register(Methods.health, answering: { _, _ in
            .now(HealthResponse(status: health(), service: name, version: switchyardVersion))
        })
        handlers.register(Methods.status, answering: { _, _ in
            var response = StatusResponse(
                service: name, version: switchyardVersion, uptimeSeconds: stats.uptimeSeconds,
                requestsTotal: stats.requestsTotal, errorsTotal: stats.errorsTotal,
                openConnections: UInt32(clamping: stats.openConnections), address: address(),
                metricsAddress: metricsServer?.localAddress.map(Self.hostPort) ?? "")
            status(&response)
            return .now(response)
        })
        return handlers
    }
}

extension ServiceHost {
    /// "ip:port" of a bound address.
    static func hostPort(_ address: SocketAddress) -> String { "\(address.ipAddress ?? "?"):\(address.port ?? 0)" }
}

/// Lets the Status handler read the address of the server it is registered on.
private final class ServerBox: @unchecked Sendable {
    // Written once, before the server starts; read by requests after.
    var server: RPCServer?
}

/// Bootstraps swift-log once per process.
enum LoggingBootstrap {
    private static let done: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()

    static func once() { _ = done }
}

/// What a service's Health answers, set once its server is made and read by /healthz.
private final class HealthSource: Sendable {
    private let check = Mutex<@Sendable () -> ServingStatus>({ .serving })

    func answer(with check: @escaping @Sendable () -> ServingStatus) { self.check.withLock { $0 = check } }

    func current() -> ServingStatus { check.withLock { $0 } () }
}
