import ArgumentParser
import Foundation
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
        let (caller, admin) = (try tokenFile("s3cret"), try tokenFile("adm1n"))
        let options = try ServiceOptions.parse([
            "--host", "0.0.0.0", "--max-frame-bytes", "65536", "--compress-above", "0", "--shutdown-grace", "250ms",
            "--idle-timeout", "0", "--frame-read-timeout", "3s", "--max-connections", "10", "--max-partial-frame-bytes", "1000000",
            "--max-requests-per-connection", "7", "--auth-token-file", caller, "--admin-token-file", admin,
        ])
        let configuration = options.serverConfiguration(defaultPort: 7200)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 7200)
        #expect(configuration.wire.maxFrameSize == 65536)
        #expect(configuration.wire.compressionThreshold == nil)
        #expect(configuration.shutdownGracePeriod == .milliseconds(250))
        #expect(configuration.limits == ConnectionLimits(
            idleTimeout: nil, frameReadTimeout: .seconds(3), maxConnections: 10, maxPartialFrameBytes: 1_000_000, maxRequestsInFlight: 7))
        #expect(configuration.authentication == Authentication(callerToken: "s3cret", adminToken: "adm1n"))
        #expect(options.client(ServiceAddress(host: "h", port: 1)).target == "h:1")
    }

    @Test func listeningBeyondLoopbackNeedsATokenOrAnExplicitOptOut() throws {
        #expect(throws: (any Error).self) { try ServiceOptions.parse(["--host", "0.0.0.0"]) }
        #expect(try ServiceOptions.parse(["--host", "0.0.0.0", "--allow-unauthenticated"]).host == "0.0.0.0")
        #expect(try ServiceOptions.parse(["--host", "127.0.0.1"]).serverConfiguration(defaultPort: 1).authentication == .none)
        #expect(throws: (any Error).self) { try ServiceOptions.parse(["--auth-token-file", "/nonexistent/token"]) }
        #expect(throws: (any Error).self) { try ServiceOptions.parse(["--auth-token-file", try tokenFile("  ")]) }
    }

    @Test(arguments: [["--port", "70000"], ["--max-frame-bytes", "10"], ["--compress-above", "-1"], ["--shutdown-grace", "-2"],
                      ["--max-connections", "0"], ["--max-requests-per-connection", "0"], ["--max-partial-frame-bytes", "100"]])
    func nonsenseIsAUsageError(arguments: [String]) {
        #expect(throws: (any Error).self) { try ServiceOptions.parse(arguments) }
    }
}

@Suite struct HealthAndStatusTests {
    @Test func everyServiceAnswersHealthAndStatusWithItsOwnPart() async throws {
        let host = ServiceHost(name: "router", options: try ServiceOptions.parse([]))
        let core = host.core(
            handlers: RPCHandlers(), health: { .notServing }, status: { $0.router = RouterStatus(routerVersion: "v9") },
            address: { "127.0.0.1:7200" })
        let service = InProcessCaller(core)
        let health = try await service.call(Methods.health, HealthRequest())
        #expect(health == HealthResponse(status: .notServing, service: "router", version: switchyardVersion))
        let status = try await service.call(Methods.status, StatusRequest())
        #expect(status.service == "router")
        #expect(status.address == "127.0.0.1:7200")
        #expect(status.router?.routerVersion == "v9")
        #expect(status.requestsTotal == 1, "the Health call before it")
    }

    @Test func aServiceWithATokenRefusesCallersWithoutItInProcessToo() async throws {
        let host = ServiceHost(name: "router", options: try ServiceOptions.parse(["--auth-token-file", try tokenFile("secret")]))
        let core = host.core(handlers: RPCHandlers())
        #expect(try await InProcessCaller(core).call(Methods.health, HealthRequest()).status == .serving)
        let refused = await #expect(throws: RPCError.self) { try await InProcessCaller(core).call(Methods.status, StatusRequest()) }
        #expect(refused?.code == .unauthenticated)
        #expect(try await InProcessCaller(core, authToken: "secret").call(Methods.status, StatusRequest()).service == "router")
    }
}

/// A token file in the temporary directory: `token` and a newline.
func tokenFile(_ token: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
    try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
