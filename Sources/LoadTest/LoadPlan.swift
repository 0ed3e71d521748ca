import RPC
import Wire

/// What a load run sends, how, and for how long.
public struct LoadPlan: Sendable {
    /// How requests are issued.
    public enum Mode: Sendable, Equatable {
        /// `connections` connections, each with `depth` requests in flight at all times: a new
        /// request leaves as soon as one is answered. Measures capacity.
        case closedLoop(connections: Int, depth: Int)
        /// `rate` requests per second spread over `connections` connections, sent on schedule
        /// whatever the answers do; latency counts from the scheduled send time, so a stall
        /// shows up in the percentiles instead of silently slowing the load (no coordinated omission).
        case openLoop(rate: Double, connections: Int)
    }

    /// When the run ends.
    public enum Stop: Sendable, Equatable {
        case after(Duration)
        case requests(Int)
    }

    public var target: ServiceAddress
    /// The rpc name, e.g. "Route".
    public var method: String
    /// Serialized request bodies, sent in turn.
    public var bodies: [[UInt8]]
    public var mode: Mode
    public var stop: Stop
    /// Time at the start whose requests are sent but not recorded.
    public var warmup: Duration
    /// Per-request timeout.
    public var timeout: Duration
    /// Sent with every request when the target asks for a token.
    public var authToken: String?
    /// Keep a timeline of outcomes in slots of this length (nil: none).
    public var timelineSlot: Duration?

    public init(
        target: ServiceAddress, method: String, bodies: [[UInt8]], mode: Mode, stop: Stop, warmup: Duration = .seconds(1),
        timeout: Duration = .seconds(10), authToken: String? = nil, timelineSlot: Duration? = nil
    ) {
        (self.target, self.method, self.bodies, self.mode, self.stop) = (target, method, bodies, mode, stop)
        (self.warmup, self.timeout, self.authToken, self.timelineSlot) = (warmup, timeout, authToken, timelineSlot)
    }

    public var connections: Int {
        switch mode {
        case .closedLoop(let connections, _), .openLoop(_, let connections): connections
        }
    }
}
