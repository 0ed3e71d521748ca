import Foundation
import Testing
@testable import Gateway

/// The upstream configuration file and the front door's key file, as shipped in deploy/config.
@Suite struct GatewayConfigurationTests {
    static let deployConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../deploy/config").standardizedFileURL

    @Test func theShippedExamplesAreValid() throws {
        let openai = try GatewayConfiguration.load(Self.deployConfig.appendingPathComponent("gateway-openai.example.json").path)
        #expect(openai.upstreams.map(\.baseURL).contains("https://api.openai.com/v1"))
        #expect(openai.upstreams.compactMap(\.caFile) == ["/etc/switchyard/internal-ca.pem"])
        #expect(openai.upstreams.allSatisfy { $0.streamTimeoutSeconds == 600 })
        let keys = try FrontDoorKeys.load(Self.deployConfig.appendingPathComponent("front-door-keys.example.json").path)
        #expect(keys.keys.map(\.dailyBudgetUSD) == [25, nil])
    }

    @Test func aCAFileIsResolvedAgainstTheConfigurationsFolderAndMustBeReadable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-config-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("gateway.json")
        try #"{"upstreams": [{"name": "p", "kind": "openai", "base_url": "https://llm.internal/v1", "ca_file": "ca.pem", "input_per_million": 1, "output_per_million": 1}]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let configuration = try GatewayConfiguration.load(file.path)
        #expect(configuration.upstreams[0].caFile == folder.appendingPathComponent("ca.pem").standardizedFileURL.path)
        let error = #expect(throws: ConfigurationError.self) { try configuration.makeUpstreams() }
        #expect(error?.description.contains("upstream p: ") == true && error?.description.contains("ca.pem") == true)

        var bad = configuration
        bad.upstreams[0].streamTimeoutSeconds = 0
        #expect(bad.problems() == ["upstream p: stream_timeout_seconds must be > 0"])
    }
}
