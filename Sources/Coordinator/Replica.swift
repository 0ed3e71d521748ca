import RPC
import Synchronization
import Wire

/// One router replica behind the coordinator: its client, whether it is in the rotation, and its
/// counters.
public final class Replica: Sendable {
    public let address: ServiceAddress
    public let client: any ForwardingCaller
    /// True when it registered itself rather than being listed on the command line.
    public let registered: Bool
    private let state = Mutex(State())

    private struct State {
        var healthy = true
        var forwarded: UInt64 = 0
        var failures: UInt64 = 0
        var probing = false
    }

    init(address: ServiceAddress, client: any ForwardingCaller, registered: Bool) {
        self.address = address
        self.client = client
        self.registered = registered
    }

    /// In the rotation: the last health check passed.
    public var isHealthy: Bool { state.withLock { $0.healthy } }

    /// The replica answered a forward (OK, or an error about the request itself).
    func answered() { state.withLock { $0.forwarded += 1 } }

    /// A forward failed transiently (unreachable, dropped, timed out) and was retried elsewhere.
    func failedToAnswer() {
        state.withLock {
            $0.forwarded += 1
            $0.failures += 1
        }
    }

    /// Records a health check; returns the previous health.
    func setHealthy(_ healthy: Bool) -> Bool {
        state.withLock { state in
            defer { state.healthy = healthy }
            return state.healthy
        }
    }

    /// Claims the right to start an out-of-turn probe; false when one is already running.
    func beginProbe() -> Bool {
        state.withLock { state in
            defer { state.probing = true }
            return !state.probing
        }
    }

    func endProbe() { state.withLock { $0.probing = false } }

    var status: ReplicaStatus {
        state.withLock {
            ReplicaStatus(
                address: "\(address)", healthy: $0.healthy, forwarded: $0.forwarded, failures: $0.failures,
                registered: registered)
        }
    }
}
