import Foundation
import Logging
import NIOCore
import RPC
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

    /// Sets up logging (once per process) at the options' level.
    public init(name: String, options: ServiceOptions) {
        self.name = name
        self.options = options
        LoggingBootstrap.once()
        var logger = Logger(label: "switchyard.\(name)")
        logger.logLevel = options.logLevel
        self.logger = logger
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
        let address = try await server.start()
        if let portFile = options.portFile {
            try "\(address.port ?? 0)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: ([server] + services).map { .init(service: $0) },
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
        var handlers = handlers
        let name = self.name
        let stats = self.stats
        let box = ServerBox()
        handlers.register(Methods.health) { _, _ in
            .now(HealthResponse(status: health(), service: name, version: switchyardVersion))
        }
        handlers.register(Methods.status) { _, _ in
            var response = StatusResponse()
            response.service = name
            response.version = switchyardVersion
            response.uptimeSeconds = stats.uptimeSeconds
            response.requestsTotal = stats.requestsTotal
            response.errorsTotal = stats.errorsTotal
            response.openConnections = UInt32(clamping: stats.openConnections)
            response.address = box.server?.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? ""
            status(&response)
            return .now(response)
        }
        let server = RPCServer(
            service: name, configuration: options.serverConfiguration(defaultPort: defaultPort), handlers: handlers,
            logger: logger, stats: stats)
        box.server = server
        return server
    }
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
