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
        /// Since when health checks fail (nil while healthy).
        var unhealthySince: ContinuousClock.Instant?
        var forwarded: UInt64 = 0
        var failures: UInt64 = 0
        var probing = false
    }

    /// A replica from the command line starts in the rotation; one that registered itself joins
    /// it only after its first passing health check.
    init(address: ServiceAddress, client: any ForwardingCaller, registered: Bool) {
        self.address = address
        self.client = client
        self.registered = registered
        state.withLock {
            $0.healthy = !registered
            $0.unhealthySince = registered ? .now : nil
        }
    }

    /// In the rotation: the last health check passed.
    public var isHealthy: Bool { state.withLock { $0.healthy } }

    /// How long its health checks have been failing (nil while healthy).
    public func unhealthyFor(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { $0.unhealthySince.map { now - $0 } }
    }

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
            defer {
                state.healthy = healthy
                state.unhealthySince = healthy ? nil : (state.unhealthySince ?? .now)
            }
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
                registered: registered,
                unhealthySeconds: UInt32(clamping: ($0.unhealthySince.map { ContinuousClock.now - $0 } ?? .zero).components.seconds))
        }
    }
}
