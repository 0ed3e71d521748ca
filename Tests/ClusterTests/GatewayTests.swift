import Foundation
import StoreTestSupport
import HTTPKit
import NIOCore
import RPC
import Testing
import UpstreamHTTP
import Wire

/// The gateway as a process, with upstreams that are real HTTP servers speaking OpenAI's JSON,
/// and a router process deciding "auto".
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GatewayTests {
    /// Writes a gateway configuration with these upstreams.
    func config(_ upstreams: [[String: Any]], in cluster: Cluster) throws -> String {
        let path = cluster.folder.appendingPathComponent("gateway-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["upstreams": upstreams]).write(to: path)
        return path.path
    }

    func openai(_ name: String, _ url: String, timeout: Double = 5, input: Double = 1, output: Double = 2, keyEnv: String? = nil, model: String? = nil) -> [String: Any] {
        var upstream: [String: Any] = [
            "name": name, "kind": "openai", "base_url": url, "input_per_million": input, "output_per_million": output,
            "timeout_seconds": timeout,
        ]
        if let keyEnv { upstream["api_key_env"] = keyEnv }
        if let model { upstream["model"] = model }
        return upstream
    }

    @Test func openAIUpstreamSpeaksChatCompletions() async throws {
        let upstream = FakeOpenAI(.answer("Paris is the capital of France."))
        let url = try await upstream.start()
        try await Cluster.with { cluster in
            let gateway = try await cluster.start(
                "switchyard-gateway",
                ["--config", try config([openai("small", url, input: 1, output: 2, keyEnv: "FAKE_KEY", model: "llama3.1:8b")], in: cluster)],
                environment: ["FAKE_KEY": "sk-test-123"])
            let client = try cluster.client(gateway)
            let response = try await client.call(
                Methods.complete, CompleteRequest(prompt: "What is the capital of France?", model: "small", maxTokens: 64))
            #expect(response.text == "Paris is the capital of France.")
            #expect(response.model == "small" && response.inputTokens == 12 && response.outputTokens == 34 && !response.tokensEstimated)
            #expect(abs(response.costUSD - (12 * 1 + 34 * 2) / 1e6) < 1e-12)
            #expect(response.attempts.map(\.status) == [.ok])
            let sent = try #require(upstream.requests.first)
            #expect(sent.headers["authorization"] == "Bearer sk-test-123")
            #expect(sent.body["model"] as? String == "llama3.1:8b")
            #expect(sent.body["max_tokens"] as? Int == 64)
            let messages = sent.body["messages"] as? [[String: Any]]
            #expect(messages?.first?["role"] as? String == "user")
            #expect(messages?.first?["content"] as? String == "What is the capital of France?")

            let status = try await client.call(Methods.status, StatusRequest())
            #expect(status.gateway?.models.first { $0.model == "small" }?.requests == 1)
            #expect(abs((status.gateway?.totalCostUSD ?? 0) - response.costUSD) < 1e-12)

            let unknown = await #expect(throws: RPCError.self) { try await client.call(Methods.complete, CompleteRequest(prompt: "x", model: "gpt-9")) }
            #expect(unknown?.code == .invalidArgument && unknown?.message.contains("unknown model") == true)
            let empty = await #expect(throws: RPCError.self) { try await client.call(Methods.complete, CompleteRequest(prompt: "", model: "small")) }
            #expect(empty?.code == .invalidArgument)
            let noRouter = await #expect(throws: RPCError.self) { try await client.call(Methods.complete, CompleteRequest(prompt: "x", model: "auto")) }
            #expect(noRouter?.code == .failedPrecondition)
        }
        await upstream.server.shutdown()
    }

    /// "auto" with alpha 1 picks the strong model first; its upstream fails (500, or hangs past
    /// its timeout), and the gateway falls back to the next model in the router's ranking.
    @Test(arguments: [FakeOpenAI.Behaviour.fail(status: 500), .hang])
    func autoFallsBackWhenTheChosenUpstreamFails(_ failure: FakeOpenAI.Behaviour) async throws {
        let broken = FakeOpenAI(failure)
        let working = FakeOpenAI(.answer("42"))
        let (brokenURL, workingURL) = (try await broken.start(), try await working.start())
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let gateway = try await cluster.start("switchyard-gateway", [
                "--config", try config([openai(strong, brokenURL, timeout: 2), openai(weak, workingURL)], in: cluster),
                "--router", router.address,
            ])
            let client = try cluster.client(gateway)
            let response = try await client.call(Methods.complete, CompleteRequest(prompt: samplePrompts[0], tradeoff: .alpha(1)))
            #expect(response.text == "42" && response.model == weak)
            #expect(response.attempts.map(\.model) == [strong, weak])
            let expected: StatusCode = if case .hang = failure { .deadlineExceeded } else { .unavailable }
            #expect(response.attempts[0].status == expected)
            #expect(response.attempts[1].status == .ok)
            #expect(!response.routerVersion.isEmpty)
            let status = try #require(try await client.call(Methods.status, StatusRequest()).gateway)
            #expect(status.routed == 1 && status.fallbacks == 1)
            #expect(status.models.first { $0.model == strong }?.failures == 1)
            #expect(status.models.first { $0.model == weak }?.requests == 1)

            // A named model has no fallback: its failure is the answer.
            let named = await #expect(throws: RPCError.self) { try await client.call(Methods.complete, CompleteRequest(prompt: "x", model: strong)) }
            #expect(named?.code == expected)
        }
        await broken.server.shutdown()
        await working.server.shutdown()
    }

    @Test func replayUpstreamAnswersWithRecordedScoresAndCosts() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let gateway = try await cluster.start("switchyard-gateway", [
                "--config", Repository.path("deploy/config/gateway-replay.json"), "--router", router.address,
            ])
            let client = try cluster.client(gateway)
            // gsm8k-0003 in the bundled data: both models answered it correctly.
            let prompt = "James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How many total meters does he run a week?"
            let named = try await client.call(Methods.complete, CompleteRequest(prompt: prompt, model: strong))
            #expect(named.recordedScore == 1)
            #expect(named.inputTokens == 31 && named.outputTokens == 76 && named.tokensEstimated)
            #expect(abs(named.costUSD - (31 * 10 + 76 * 30) / 1e6) < 1e-12)
            #expect(named.latencyMs >= 20)
            let routed = try await client.call(Methods.complete, CompleteRequest(prompt: prompt, tradeoff: .alpha(0)))
            #expect(routed.model == weak && routed.recordedScore == 1)
            // A prompt nobody recorded: every model is tried and the error says why.
            let unknown = await #expect(throws: RPCError.self) {
                try await client.call(Methods.complete, CompleteRequest(prompt: "never seen before", tradeoff: .alpha(1)))
            }
            #expect(unknown?.code == .unavailable && unknown?.message.contains("no recorded answer") == true)
        }
    }

    @Test func aBrokenConfigurationStopsTheGatewayWithTheReason() async throws {
        try await Cluster.with { cluster in
            let noURL = try config([["name": "x", "kind": "openai", "input_per_million": 1, "output_per_million": 1]], in: cluster)
            let error = await #expect(throws: TestFailure.self) { try await cluster.start("switchyard-gateway", ["--config", noURL]) }
            #expect(error?.description.contains("upstream x: kind openai needs base_url") == true)
            let badData = try config([[
                "name": "y", "kind": "replay", "datasets": ["missing.jsonl"], "input_per_million": 1, "output_per_million": 1,
            ]], in: cluster)
            let dataError = await #expect(throws: TestFailure.self) { try await cluster.start("switchyard-gateway", ["--config", badData]) }
            #expect(dataError?.description.contains("upstream y") == true && dataError?.description.contains("missing.jsonl") == true)
        }
    }

    /// Upstreams named after other models than the router's (an operator's first configuration)
    /// stop the gateway at start with both lists, instead of failing every "auto" request later;
    /// --allow-partial starts it, and routed requests go to the models it has.
    @Test func upstreamsThatMissTheRoutersModelsStopTheStart() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let replay = Repository.path("data/routellm/gsm8k.jsonl.gz")
            let onlyWeak = try config([
                ["name": weak, "kind": "replay", "datasets": [replay], "input_per_million": 1, "output_per_million": 1],
                ["name": "gpt-4o", "kind": "replay", "datasets": [replay], "input_per_million": 1, "output_per_million": 1],
            ], in: cluster)
            let error = await #expect(throws: TestFailure.self) {
                try await cluster.start("switchyard-gateway", ["--config", onlyWeak, "--router", router.address])
            }
            #expect(error?.description.contains("\(strong) has no upstream") == true, "\(error?.description ?? "")")
            #expect(error?.description.contains("configured: gpt-4o, \(weak)") == true && error?.description.contains("--allow-partial") == true)
            let gateway = try await cluster.start("switchyard-gateway", ["--config", onlyWeak, "--router", router.address, "--allow-partial"])
            let prompt = "James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How many total meters does he run a week?"
            let routed = try await cluster.client(gateway).call(Methods.complete, CompleteRequest(prompt: prompt, tradeoff: .alpha(1)))
            #expect(routed.model == weak)
        }
    }
}

/// The gateway's OpenAI-compatible front door as a process, in front of OpenAI-compatible
/// upstreams speaking HTTP.
@Suite(.timeLimit(.minutes(2))) struct OpenAIFrontDoorClusterTests {
    let strong = "gpt-4-1106-preview", weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"

    @Test func theChosenUpstreamGetsTheRequestWithOnlyTheModelReplacedAndFallbackSkipsABrokenOne() async throws {
        let broken = FakeOpenAI(.fail(status: 503))
        let working = FakeOpenAI(.answer("42"))
        let (brokenURL, workingURL) = (try await broken.start(), try await working.start())
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let upstreams: [[String: Any]] = [
                ["name": strong, "kind": "openai", "base_url": brokenURL, "input_per_million": 10, "output_per_million": 30, "timeout_seconds": 5],
                ["name": weak, "kind": "openai", "base_url": workingURL, "model": "served-weak", "input_per_million": 1,
                 "output_per_million": 2, "timeout_seconds": 5],
            ]
            let configPath = cluster.folder.appendingPathComponent("gateway.json")
            try JSONSerialization.data(withJSONObject: ["upstreams": upstreams]).write(to: configPath)
            _ = try await cluster.start("switchyard-gateway", [
                "--config", configPath.path, "--router", router.address, "--openai-port", "0",
                "--openai-port-file", cluster.folder.appendingPathComponent("openai.port").path, "--openai-max-body-bytes", "4096",
            ])
            let endpoint = try cluster.frontDoor(portFile: "openai.port")
            let request: [String: Any] = [
                "model": "switchyard:alpha=1", "temperature": 0.25, "max_tokens": 64,
                "messages": [["role": "system", "content": "be brief"], ["role": "user", "content": "What is 6 times 7?"]],
                "tools": [["type": "function", "function": ["name": "calc", "parameters": ["type": "object"]]]],
                "response_format": ["type": "text"], "x_vendor_field": ["kept": true],
            ]
            let response = try await HTTPCaller(endpoint).post(
                "/chat/completions", headers: [("Content-Type", "application/json")],
                body: Array(JSONSerialization.data(withJSONObject: request)), timeout: .seconds(10))
            #expect(response.status == 200)
            let completion = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            let message = ((completion["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(message == "42")
            #expect(response.headers["x-switchyard-model"] == [weak])
            #expect(response.headers["x-switchyard-fallbacks"] == ["\(strong) UNAVAILABLE"])
            // 12 prompt and 34 completion tokens (the fake's usage) at $1/M and $2/M.
            #expect(response.headers["x-switchyard-cost-usd"] == [String(format: "%.8f", (12 * 1 + 34 * 2) / 1e6)])
            // The upstream got the request as the application sent it, with only the model replaced.
            let sent = try #require(working.requests.first?.body)
            #expect(sent["model"] as? String == "served-weak")
            var expected = request
            expected["model"] = "served-weak"
            func canonical(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(sent) == canonical(expected))

            // Over the body limit: 413 in OpenAI's shape, and the gateway goes on serving.
            let big = try await HTTPCaller(endpoint).post(
                "/chat/completions", headers: [("Content-Type", "application/json")],
                body: Array(JSONSerialization.data(withJSONObject: ["model": weak, "messages": [["role": "user", "content": String(repeating: "x", count: 5000)]]])),
                timeout: .seconds(10))
            #expect(big.status == 413)
            #expect(String(decoding: big.body, as: UTF8.self).contains("request_too_large"))
            let named = try await HTTPCaller(endpoint).post(
                "/chat/completions", headers: [("Content-Type", "application/json")],
                body: Array(#"{"model": "mistralai/Mixtral-8x7B-Instruct-v0.1", "messages": [{"role": "user", "content": "hi"}]}"#.utf8),
                timeout: .seconds(10))
            #expect(named.status == 200 && named.headers["x-switchyard-model"] == [weak])
        }
        await broken.server.shutdown()
        await working.server.shutdown()
    }

    /// The front door on /metrics: requests by route and status, their duration, each key's
    /// spend and what a budgeted key has left, and the Complete counter stays the RPC's own.
    @Test func frontDoorRequestsAndKeysShowOnMetrics() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let keysFile = cluster.folder.appendingPathComponent("keys.json")
            try #"{"keys": [{"name": "team", "key": "sk-team-0123456789ab", "daily_budget_usd": 1}]}"#.write(to: keysFile, atomically: true, encoding: .utf8)
            let gateway = try await cluster.start("switchyard-gateway", [
                "--config", Repository.path("deploy/config/gateway-replay.json"), "--router", router.address, "--metrics-port", "0",
                "--openai-port", "0", "--openai-port-file", cluster.folder.appendingPathComponent("openai.port").path,
                "--openai-keys", keysFile.path,
            ])
            let endpoint = try cluster.frontDoor(portFile: "openai.port")
            let prompt = "James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How many total meters does he run a week?"
            let body = Array(try JSONSerialization.data(withJSONObject: ["model": "auto", "messages": [["role": "user", "content": prompt]]]))
            var spent = 0.0
            for _ in 0..<3 {
                let answer = try await HTTPCaller(endpoint).post(
                    "/chat/completions", headers: [("Content-Type", "application/json"), ("Authorization", "Bearer sk-team-0123456789ab")],
                    body: body, timeout: .seconds(10))
                #expect(answer.status == 200)
                spent += Double(answer.headers["x-switchyard-cost-usd"].first ?? "0") ?? 0
            }
            let refused = try await HTTPCaller(endpoint).post("/chat/completions", headers: [("Content-Type", "application/json")], body: body, timeout: .seconds(10))
            #expect(refused.status == 401)
            let status = try await cluster.client(gateway).call(Methods.status, StatusRequest())
            let metrics = String(decoding: try await HTTPCaller(url: "http://\(status.metricsAddress)").get("/metrics", timeout: .seconds(5)).body, as: UTF8.self)
            let lines = metrics.split(separator: "\n")
            #expect(lines.contains(#"switchyard_http_requests_total{route="/v1/chat/completions",status="200"} 3"#), "\(metrics)")
            #expect(lines.contains(#"switchyard_http_requests_total{route="/v1/chat/completions",status="401"} 1"#))
            #expect(lines.contains { $0.hasPrefix(#"switchyard_http_request_duration_seconds_count{route="/v1/chat/completions"} 4"#) })
            func gauge(_ name: String) -> Double? {
                lines.first { $0.hasPrefix("\(name){key=\"team\"} ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect(abs((gauge("switchyard_gateway_key_spent_today_usd") ?? -1) - spent) < 1e-6)
            #expect(abs((gauge("switchyard_gateway_key_budget_left_usd") ?? -1) - (1 - spent)) < 1e-6)
        }
    }
}
