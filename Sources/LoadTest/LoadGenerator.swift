import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RPC
import Synchronization
import Wire

/// Runs a `LoadPlan` against a live service on NIO event loops (no task per request, bodies
/// serialized once, responses not decoded), so the client costs as little as it can.
public final class LoadGenerator: Sendable {
    public let plan: LoadPlan
    public let recorder: LatencyRecorder
    private let clients: [RPCClient]
    private let issued = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    /// When `run()` began sending (0 before), in uptime nanoseconds; warm-up and the recorded
    /// time count from here, not from set-up (connecting, the reachability check).
    private let started = Atomic<UInt64>(0)

    public init(plan: LoadPlan, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.plan = plan
        recorder = LatencyRecorder(timelineSlot: plan.timelineSlot)
        clients = (0..<plan.connections).map { _ in
            RPCClient(address: plan.target, configuration: .init(connectTimeout: .seconds(2), defaultTimeout: plan.timeout, connections: 1, authToken: plan.authToken), group: group)
        }
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Seconds since the generator was made.
    public var elapsed: Double {
        let start = started.load(ordering: .relaxed)
        return start == 0 ? 0 : Double(Self.now() - start) / 1e9
    }

    private var warmupEndNanos: UInt64 { started.load(ordering: .relaxed) + UInt64(TimeAmount(plan.warmup).nanoseconds) }

    /// Seconds of recorded (post-warm-up) time so far.
    public var measuredSeconds: Double {
        started.load(ordering: .relaxed) == 0 ? 0 : max(0, Double(Int64(Self.now()) - Int64(warmupEndNanos)) / 1e9)
    }

    /// The wall-clock time (Unix seconds) recording began (after the warm-up): the timeline's
    /// zero, for lining it up with events outside the run.
    public var recordingStartedAtUnix: Double {
        let start = started.load(ordering: .relaxed)
        guard start != 0 else { return 0 }
        let sinceRecordingStart = Double(Int64(Self.now()) - Int64(warmupEndNanos)) / 1e9
        return Date().timeIntervalSince1970 - sinceRecordingStart
    }

    /// Fails with UNAVAILABLE (and a message naming the target) when it does not answer Health.
    public func checkReachable() async throws {
        do {
            _ = try await clients[0].call(Methods.health, HealthRequest(), timeout: .seconds(3))
        } catch let error as RPCError {
            throw RPCError(error.code, "\(plan.target) is not reachable: \(error.message)")
        }
    }

    /// Sends until the plan's stop condition, then waits for every answer (or timeout).
    public func run() async {
        started.store(Self.now(), ordering: .relaxed)
        let finished: [EventLoopFuture<Void>]
        switch plan.mode {
        case .closedLoop(_, let depth):
            finished = clients.flatMap { client in (0..<depth).map { _ in closedLoop(client) } }
        case .openLoop(let rate, _):
            let perConnection = rate / Double(clients.count)
            finished = clients.enumerated().map { index, client in
                openLoop(client, interval: 1e9 / perConnection, offset: UInt64(Double(index) * 1e9 / rate))
            }
        }
        if case .after(let duration) = plan.stop {
            try? await Task.sleep(for: plan.warmup + duration)
            stopped.store(true, ordering: .relaxed)
        }
        for future in finished { try? await future.get() }
        for client in clients { await client.close() }
    }

    /// True while the run should keep sending; counts the request it is about to send.
    private func mayIssue() -> Int? {
        if stopped.load(ordering: .relaxed) { return nil }
        let index = issued.add(1, ordering: .relaxed).oldValue
        if case .requests(let limit) = plan.stop, index >= limit {
            stopped.store(true, ordering: .relaxed)
            return nil
        }
        return index
    }

    private func record(_ result: Result<Envelope, any Error>, from start: UInt64) {
        guard start >= warmupEndNanos else { return }
        let status: StatusCode = switch result {
        case .success(let envelope): envelope.status
        case .failure(let error): RPCError(error).code
        }
        let now = Self.now()
        recorder.record(nanoseconds: now - start, status: status, completedAfter: now - warmupEndNanos)
    }

    /// One slot of a closed loop: send, and on the answer send again.
    private func closedLoop(_ client: RPCClient) -> EventLoopFuture<Void> {
        let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        @Sendable func fire() {
            guard let index = mayIssue() else { return done.succeed() }
            let start = Self.now()
            let future = client.callSerialized(plan.method, body: plan.bodies[index % plan.bodies.count], timeout: plan.timeout)
            future.whenComplete { result in
                self.record(result, from: start)
                // A failure may complete at once: go round the event loop rather than recurse.
                if case .failure = result { future.eventLoop.execute { fire() } } else { fire() }
            }
        }
        fire()
        return done.futureResult
    }

    /// One connection of an open loop: sends whatever the schedule says is due, then sleeps until
    /// the next request's scheduled time (a timer per wake-up, not a fixed tick, so the sender's
    /// own granularity does not show up as server latency).
    private func openLoop(_ client: RPCClient, interval: Double, offset: UInt64) -> EventLoopFuture<Void> {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let done = eventLoop.makePromise(of: Void.self)
        let state = OpenLoopState(next: Double(started.load(ordering: .relaxed) + offset))
        @Sendable func finishIfDrained() {
            if !state.sending && state.inFlight == 0 { done.succeed() }
        }
        @Sendable func sendDue() {
            let now = Double(Self.now())
            while state.sending && state.next <= now {
                guard let index = mayIssue() else {
                    state.sending = false
                    break
                }
                let intended = UInt64(state.next)
                state.next += interval
                state.inFlight += 1
                client.callSerialized(plan.method, body: plan.bodies[index % plan.bodies.count], timeout: plan.timeout)
                    .hop(to: eventLoop)
                    .whenComplete { result in
                        self.record(result, from: intended)
                        state.inFlight -= 1
                        finishIfDrained()
                    }
            }
            guard state.sending else { return finishIfDrained() }
            eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(state.next))) { sendDue() }
        }
        eventLoop.execute { sendDue() }
        return done.futureResult
    }
}

/// The schedule of one open-loop connection; touched only on its event loop.
private final class OpenLoopState: @unchecked Sendable {
    /// When the next request is due, in uptime nanoseconds.
    var next: Double
    var inFlight = 0
    var sending = true

    init(next: Double) { self.next = next }
}
