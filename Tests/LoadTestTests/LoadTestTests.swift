import Foundation
import Logging
import RPC
import Testing
import Wire
@testable import LoadTest

@Suite struct LatencyRecorderTests {
    @Test func countsOutcomesAndKeepsPercentiles() {
        let recorder = LatencyRecorder()
        for micros in 1...100 { recorder.record(nanoseconds: UInt64(micros) * 1000, status: .ok) }
        recorder.record(nanoseconds: 5_000_000, status: .deadlineExceeded)
        #expect(recorder.counts.completed == 101 && recorder.counts.failed == 1)
        let (histogram, statuses) = recorder.snapshot
        #expect(statuses == [.ok: 100, .deadlineExceeded: 1])
        let p50 = histogram.valueAtPercentile(50)
        #expect((50_000...51_100).contains(p50), "\(p50)")
        #expect(histogram.max >= 4_990_000)
    }

    @Test func timelinePutsOutcomesInTheSlotTheyCompletedInWithEmptySlotsBetween() {
        let recorder = LatencyRecorder(timelineSlot: .milliseconds(100))
        recorder.record(nanoseconds: 1_000_000, status: .ok, completedAfter: 50_000_000)
        recorder.record(nanoseconds: 3_000_000, status: .ok, completedAfter: 99_000_000)
        recorder.record(nanoseconds: 2_000_000_000, status: .unavailable, completedAfter: 350_000_000)
        let timeline = recorder.timeline
        #expect(timeline.map(\.start) == [0, 0.1, 0.2, 0.3])
        #expect(timeline.map(\.ok) == [2, 0, 0, 0])
        #expect(timeline.map(\.failed) == [0, 0, 0, 1])
        #expect(timeline[0].maxMilliseconds == 3 && timeline[3].maxMilliseconds == 2000)
        #expect(LatencyRecorder().timeline.isEmpty)
    }
}

/// The generator against a real server on an ephemeral port (it is a socket tool).
@Suite(.timeLimit(.minutes(1))) struct LoadGeneratorTests {
    func withServer(_ body: (ServiceAddress) async throws -> Void) async throws {
        var handlers = RPCHandlers()
        handlers.register(Methods.health) { _, _ in HealthResponse(status: .serving) }
        handlers.register(Methods.route) { request, _ in
            if request.prompt == "bad" { throw RPCError(.invalidArgument, "bad prompt") }
            return RouteResponse(model: "m")
        }
        let server = RPCServer(service: "test", configuration: .init(port: 0), handlers: handlers, logger: Logger(label: "test"))
        let address = try await server.start()
        let running = Task { try await server.run() }
        try await body(ServiceAddress(host: "127.0.0.1", port: address.port!))
        server.shutdown()
        try await running.value
    }

    @Test func aClosedLoopSendsExactlyTheRequestsAskedAndCountsErrorsByStatus() async throws {
        try await withServer { address in
            let bodies = ["ok", "bad", "ok", "ok"].map { RouteRequest(prompt: $0).serializedBytes() }
            let plan = LoadPlan(
                target: address, method: "Route", bodies: bodies, mode: .closedLoop(connections: 2, depth: 4),
                stop: .requests(200), warmup: .zero)
            let generator = LoadGenerator(plan: plan)
            try await generator.checkReachable()
            await generator.run()
            let report = LoadReport(generator, seconds: generator.measuredSeconds)
            #expect(report.requests == 200)
            #expect(report.ok == 150)
            #expect(report.errors == ["INVALID_ARGUMENT": 50])
            #expect(report.latencyMicroseconds.p50 > 0)
            let json = try JSONDecoder().decode(LoadReport.self, from: Data(report.json.utf8))
            #expect(json.requests == 200)
        }
    }

    @Test func anUnreachableTargetIsReportedBeforeAnyLoad() async throws {
        let plan = LoadPlan(
            target: ServiceAddress(host: "127.0.0.1", port: 1), method: "Route", bodies: [[]],
            mode: .closedLoop(connections: 1, depth: 1), stop: .requests(1))
        await #expect(throws: (any Error).self) { try await LoadGenerator(plan: plan).checkReachable() }
    }
}
