import Logging
import RPC
import Synchronization
import Wire

/// Registers this router with a coordinator, and again every `interval` so that a restarted
/// coordinator finds its replicas within one interval (registering twice is harmless). Logs
/// when registration starts or stops working, not on every round.
public final class CoordinatorRegistration: Sendable {
    let client: any RPCCaller
    /// The address the coordinator should forward to, and this replica's id.
    let request: RegisterRequest
    let logger: Logger
    /// Whether the last attempt worked (nil before the first).
    private let registered = Mutex<Bool?>(nil)

    public init(coordinator: any RPCCaller, address: String, replicaID: String, logger: Logger) {
        self.client = coordinator
        self.request = RegisterRequest(address: address, replicaID: replicaID)
        self.logger = logger
    }

    /// The registration as a service that repeats it every `interval`.
    public func service(every interval: Duration = .seconds(5)) -> Periodic {
        Periodic(every: interval) { await self.register() }
    }

    /// One attempt.
    public func register() async {
        do {
            let response = try await client.call(Methods.register, request, timeout: .seconds(2))
            if registered.withLock({ $0.replace(true) }) != true {
                logger.info("registered with the coordinator", metadata: [
                    "coordinator": "\(client.target)", "address": "\(request.address)", "replicas": "\(response.replicas)",
                ])
            }
        } catch {
            if registered.withLock({ $0.replace(false) }) != false {
                logger.warning("cannot register with the coordinator; retrying", metadata: [
                    "coordinator": "\(client.target)", "error": "\(error)",
                ])
            }
        }
    }
}

extension Optional {
    /// Sets the value and returns the one before.
    fileprivate mutating func replace(_ value: Wrapped) -> Wrapped? {
        defer { self = value }
        return self
    }
}
