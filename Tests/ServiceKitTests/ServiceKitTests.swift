import ArgumentParser
import RPC
import Testing
import Wire
@testable import ServiceKit

@Suite struct DurationArgumentTests {
    @Test(arguments: [
        ("2", Duration.seconds(2)), ("0.5", .milliseconds(500)), ("500ms", .milliseconds(500)), ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)), ("0", .zero),
    ])
    func parsesSecondsAndUnits(text: String, expected: Duration) {
        #expect(Duration(argument: text) == expected)
    }

    @Test(arguments: ["", "-1", "abc", "5h", "nan", "1e999"])
    func rejectsWhatIsNotADuration(text: String) {
        #expect(Duration(argument: text) == nil)
    }

    @Test func secondsOfADuration() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
    }
}

@Suite struct ServiceOptionsTests {
    @Test func flagsMapOntoTheServerConfiguration() throws {
        let options = try ServiceOptions.parse([
            "--host", "0.0.0.0", "--max-frame-bytes", "65536", "--compress-above", "0", "--shutdown-grace", "250ms",
        ])
        let configuration = options.serverConfiguration(defaultPort: 7200)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 7200)
        #expect(configuration.wire.maxFrameSize == 65536)
        #expect(configuration.wire.compressionThreshold == nil)
        #expect(configuration.shutdownGracePeriod == .milliseconds(250))
    }

    @Test(arguments: [["--port", "70000"], ["--max-frame-bytes", "10"], ["--compress-above", "-1"], ["--shutdown-grace", "-2"]])
    func nonsenseIsAUsageError(arguments: [String]) {
        #expect(throws: (any Error).self) { try ServiceOptions.parse(arguments) }
    }
}

@Suite struct HealthAndStatusTests {
    @Test func everyServiceAnswersHealthAndStatusWithItsOwnPart() async throws {
        let host = ServiceHost(name: "router", options: try ServiceOptions.parse([]))
        let handlers = host.withHealthAndStatus(
            RPCHandlers(), health: { .notServing }, status: { $0.router = RouterStatus(routerVersion: "v9") },
            address: { "127.0.0.1:7200" })
        let service = InProcessCaller(handlers)
        let health = try await service.call(Methods.health, HealthRequest())
        #expect(health == HealthResponse(status: .notServing, service: "router", version: switchyardVersion))
        let status = try await service.call(Methods.status, StatusRequest())
        #expect(status.service == "router")
        #expect(status.address == "127.0.0.1:7200")
        #expect(status.router?.routerVersion == "v9")
        #expect(status.requestsTotal == 0)
    }
}
