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
        // Named after the models a router trained on the bundled data ranks, whatever the endpoints call them.
        #expect(openai.upstreams.prefix(2).map(\.name) == ["gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"])
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

    /// Mistakes an operator makes, each answered with the file, where, and what is expected.
    @Test(arguments: [
        (#"{"upstreams": [{"name": "a", "kind": "replay", "datasets": ["x"], "input_per_million": 1, "output_per_million": 1, "timeout": 5}]}"#,
         #"upstreams[0].timeout: unknown field (did you mean "timeout_seconds"?); the fields are api_key_env, base_url, "#),
        (#"{"upstreams": [{"name": "a", "kind": "replay", "datasets": ["x"], "input_per_million": "1", "output_per_million": 1}]}"#,
         "upstreams[0].input_per_million: expected a number"),
        (#"{"upstreams": [{"name": "a", "kind": "replay", "datasets": ["x"], "output_per_million": 1}]}"#,
         "upstreams[0].input_per_million: missing (it is required)"),
        (#"{"upstreams": [{"name": "a", "kind": "replai", "datasets": ["x"], "input_per_million": 1, "output_per_million": 1}]}"#,
         #"upstreams[0].kind: "replai" is not a kind; the kinds are openai and replay"#),
        (#"{"upstream": []}"#, #"upstream: unknown field (did you mean "upstreams"?); the fields are upstreams"#),
        ("{\"upstreams\": [\n  {\"name\": \"a\"\n  x", "not valid JSON at line 3, column 3"),
    ])
    func configurationMistakesAreNamedWhereTheyAre(text: String, expected: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID()).json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try GatewayConfiguration.load(file.path) }
        #expect(error?.description.hasPrefix("gateway configuration \(file.path): \(expected)") == true, "\(error?.description ?? "")")
    }

    /// Key files are read as strictly, and a key keeps no line break it was written with.
    @Test func keyFilesAreStrictAndKeysAreTrimmed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{"keys": [{"name": "a", "key": "sk-0123456789abcdef\n", "daily_budget": 2}]}"#.write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) { try FrontDoorKeys.load(file.path) }
        #expect(error?.description.contains(#"keys[0].daily_budget: unknown field (did you mean "daily_budget_usd"?)"#) == true)
        try #"{"keys": [{"name": "a", "key": "sk-0123456789abcdef\n"}]}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(try FrontDoorKeys.load(file.path).keys[0].key == "sk-0123456789abcdef")
    }
}
