import Logging
import NIOCore
import RPC
import ServiceLifecycle
import Wire

/// Registers this router with a coordinator, and again every `interval` so that a restarted
/// coordinator finds its replicas within one interval (registering twice is harmless).
public struct CoordinatorRegistration: Service {
    let client: RPCClient
    /// The address the coordinator should forward to, and this replica's id.
    let request: RegisterRequest
    let interval: Duration
    let logger: Logger

    public init(coordinator: ServiceAddress, address: String, replicaID: String, interval: Duration = .seconds(5), logger: Logger) {
        self.client = RPCClient(address: coordinator, configuration: .init(connectTimeout: .seconds(1), defaultTimeout: .seconds(2)))
        self.request = RegisterRequest(address: address, replicaID: replicaID)
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var registered: Bool?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let response = try await client.call(Methods.register, request)
                if registered != true {
                    logger.info("registered with the coordinator", metadata: [
                        "coordinator": "\(client.address)", "address": "\(request.address)", "replicas": "\(response.replicas)",
                    ])
                }
                registered = true
            } catch {
                if registered != false {
                    logger.warning("cannot register with the coordinator; retrying", metadata: [
                        "coordinator": "\(client.address)", "error": "\(error)",
                    ])
                }
                registered = false
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await client.close()
    }
}
