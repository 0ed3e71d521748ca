import Foundation
import HTTPKit
import Logging
import NIOCore
import NIOHTTP1
import RPC
import Synchronization
import Testing
import UpstreamHTTP
import Wire
@testable import Gateway

/// The front door served over HTTP on loopback (streams need a connection), called like an SDK would.
struct ServedFrontDoor {
    let server: HTTPServer
    let caller: HTTPCaller
    let ledger: CostLedger

    static func start(_ upstreams: [any Upstream], router: (any RPCCaller)? = nil, keys: FrontDoorKeys? = nil, ledger: CostLedger = CostLedger()) async throws -> ServedFrontDoor {
        let door = OpenAIFrontDoor(complete: CompleteHandler(upstreams: upstreams, router: router, ledger: ledger), keys: keys, logger: Logger(label: "test"))
        let server = HTTPServer(logger: Logger(label: "test"), handler: door.handle)
        let address = try await server.start()
        return ServedFrontDoor(server: server, caller: try HTTPCaller(url: "http://127.0.0.1:\(address.port!)/v1"), ledger: ledger)
    }

    /// POSTs `json`; the status, headers and the whole body as text.
    func post(_ json: [String: Any], key: String? = nil) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let reply = try await caller.post(
            "/chat/completions", headers: HTTPCaller.jsonHeaders(apiKey: key), body: Array(JSONSerialization.data(withJSONObject: json)),
            timeout: .seconds(10))
        return (reply.status, reply.headers, String(decoding: reply.body, as: UTF8.self))
    }

    /// The `data:` payloads of a server-sent event stream, parsed (`[DONE]` as the string).
    static func events(_ body: String) -> [Any] {
        body.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { line -> Any in
            let payload = line.dropFirst("data: ".count)
            return (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) ?? String(payload)
        }
    }
}

/// An OpenAI-compatible upstream on loopback that streams `pieces` and then ends, or breaks.
final class StreamingFakeUpstream: Sendable {
    let server: HTTPServer

    init(pieces: [String], thenBreak: Bool = false, status: HTTPResponseStatus = .ok) {
        server = HTTPServer(logger: Logger(label: "fake")) { _ in
            guard status == .ok else { return HTTPResponse(status: status, contentType: "application/json", text: #"{"error": {"message": "busy"}}"#) }
            return HTTPResponse { responder in
                try await responder.begin(headers: ["Content-Type": "text/event-stream"])
                for piece in pieces {
                    try await responder.write(ByteBuffer(string: piece))
                    try await Task.sleep(for: .milliseconds(5))
                }
                if thenBreak { throw CancellationError() }
            }
        }
    }

    func upstream(_ name: String) async throws -> OpenAIUpstream {
        let port = try await server.start().port!
        return try OpenAIUpstream(UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://127.0.0.1:\(port)/v1", inputPerMillion: 1, outputPerMillion: 2, timeoutSeconds: 5))
    }
}

func chunk(_ content: String) -> String {
    #"data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "\#(content)"}}]}"# + "\n\n"
}

@Suite(.timeLimit(.minutes(1))) struct FrontDoorStreamingTests {
    let user = [["role": "user", "content": "stream me"]]

    @Test func aStreamIsRelayedAsTheUpstreamSendsItAndItsUsageBooked() async throws {
        let usage = #"data: {"object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}"# + "\n\n"
        let pieces = [chunk("Hel"), chunk("lo"), usage, "data: [DONE]\n\n"]
        let fake = StreamingFakeUpstream(pieces: pieces)
        let door = try await ServedFrontDoor.start([try await fake.upstream("m")])
        let (status, headers, body) = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(status == 200 && headers.first(name: "content-type") == "text/event-stream")
        #expect(headers.first(name: "x-switchyard-model") == "m")
        #expect(body.hasPrefix(pieces.joined()), "the upstream's bytes come through unchanged")
        // 7 input tokens at $1/M and 3 output at $2/M, booked from the usage chunk.
        #expect(body.contains(": switchyard-cost-usd=0.00001300\n"))
        #expect(abs(door.ledger.status.totalCostUSD - 13e-6) < 1e-12)
        await door.server.shutdown()
        await fake.server.shutdown()
    }

    @Test func anUpstreamThatDoesNotStreamIsStreamedAsOpenAIWouldAndFallbackHappensBeforeTheFirstEvent() async throws {
        let door = try await ServedFrontDoor.start(
            [ScriptedUpstream("first", .fail(.unavailable)), ScriptedUpstream("second")], router: fakeRouter(["first", "second"]))
        let (status, headers, body) = try await door.post([
            "model": "auto", "messages": user, "stream": true, "stream_options": ["include_usage": true],
        ])
        #expect(status == 200)
        #expect(headers.first(name: "x-switchyard-model") == "second")
        #expect(headers.first(name: "x-switchyard-fallbacks") == "first UNAVAILABLE")
        let events = ServedFrontDoor.events(body)
        #expect(events.last as? String == "[DONE]")
        let chunks = events.compactMap { $0 as? [String: Any] }
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let text = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == "second: stream me")
        #expect((chunks.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int == 500)
        await door.server.shutdown()
    }

    @Test func aStreamThatBreaksHalfwayEndsWithAnErrorEventAndTheGatewayGoesOnServing() async throws {
        let fake = StreamingFakeUpstream(pieces: [chunk("partial")], thenBreak: true)
        let door = try await ServedFrontDoor.start([try await fake.upstream("m")])
        let (status, _, body) = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(status == 200, "the status was sent with the first event")
        let events = ServedFrontDoor.events(body)
        #expect(events.count == 2)
        let error = (events.last as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "stream_broken" && error?["type"] as? String == "upstream_error")
        #expect(door.ledger.status.models.first?.failures == 1)
        // Booked from what was streamed: "partial" is 7 characters, 1 token estimated.
        #expect(body.contains("tokens-estimated"))
        let again = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(again.status == 200)
        await door.server.shutdown()
        await fake.server.shutdown()
    }

    @Test func aStreamRefusedByEveryUpstreamIsAnOpenAIErrorNotAStream() async throws {
        let busy = StreamingFakeUpstream(pieces: [], status: .tooManyRequests)
        let door = try await ServedFrontDoor.start([try await busy.upstream("m")])
        let (status, headers, body) = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(status == 502 && headers.first(name: "content-type") == "application/json")
        #expect(body.contains("RESOURCE_EXHAUSTED") && body.contains("\"type\":\"upstream_error\""))
        await door.server.shutdown()
        await busy.server.shutdown()
    }
}

@Suite(.timeLimit(.minutes(1))) struct FrontDoorKeyTests {
    let user = [["role": "user", "content": "q"]]
    let keys = try! FrontDoorKeys(keys: [
        .init(name: "team-a", key: "sk-team-a-0123456789", dailyBudgetUSD: 0.04),
        .init(name: "unlimited", key: "sk-unlimited-012345"),
    ])

    @Test func requestsNeedAKnownBearerKey() async throws {
        let door = try await ServedFrontDoor.start([ScriptedUpstream("a")], keys: keys)
        for key in [nil, "sk-wrong-0123456789", "sk-team-a-012345678"] {
            let (status, _, body) = try await door.post(["model": "a", "messages": user], key: key)
            #expect(status == 401 && body.contains("invalid_api_key"), "key \(key ?? "none")")
        }
        let models = try await door.caller.get("/models", timeout: .seconds(5))
        #expect(models.status == 401)
        let (status, headers, _) = try await door.post(["model": "a", "messages": user], key: "sk-unlimited-012345")
        #expect(status == 200 && headers.first(name: "x-switchyard-key") == "unlimited")
        #expect(headers.first(name: "x-switchyard-budget-left-usd") == nil)
        await door.server.shutdown()
    }

    /// Each ScriptedUpstream answer is 1000 input and 500 output tokens: $0.002 from "cheap"
    /// ($1/M, $2/M), $0.025 from "dear" ($10/M, $30/M).
    @Test func aDailyBudgetRoutesToTheBestModelThatFitsThenRefusesAndRenewsNextDay() async throws {
        let day = Mutex(20_000)
        let ledger = CostLedger(today: { day.withLock { $0 } })
        let dear = ScriptedUpstream("dear", inputPerMillion: 10, outputPerMillion: 30)
        let cheap = ScriptedUpstream("cheap")
        let router = fakeRouter(["dear", "cheap"], predictedCosts: ["dear": 0.025, "cheap": 0.002])
        let door = try await ServedFrontDoor.start([dear, cheap], router: router, keys: keys, ledger: ledger)
        let key = "sk-team-a-0123456789"

        var (status, headers, _) = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(status == 200 && headers.first(name: "x-switchyard-model") == "dear")
        #expect(headers.first(name: "x-switchyard-budget-left-usd") == "0.04000000")
        // $0.015 left: the router's first choice would cost $0.025, so the next-best that fits answers.
        (status, headers, _) = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(status == 200 && headers.first(name: "x-switchyard-model") == "cheap")
        #expect(dear.calls == 1)
        // A named model whose estimated cost does not fit is refused before it is called.
        let (named, _, namedBody) = try await door.post(["model": "dear", "messages": user, "max_tokens": 2000], key: key)
        #expect(named == 429 && namedBody.contains("insufficient_quota") && namedBody.contains("does not fit"))
        // Spend the rest: $0.013 left, then $0.011, ... until nothing fits.
        var answered = 2
        while true {
            let (status, _, body) = try await door.post(["model": "auto", "messages": user], key: key)
            if status != 200 {
                #expect(status == 429 && body.contains("insufficient_quota") && body.contains("team-a"))
                break
            }
            answered += 1
            #expect(answered < 30)
        }
        #expect(ledger.spentToday(by: "team-a") <= 0.04 + 1e-12)
        #expect(answered == 2 + 6, "$0.04 - $0.025 - $0.002 = $0.013 pays for 6 more cheap answers")
        // Other keys are not affected, and the next UTC day the budget is whole again.
        #expect(try await door.post(["model": "auto", "messages": user], key: "sk-unlimited-012345").status == 200)
        day.withLock { $0 += 1 }
        (status, headers, _) = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(status == 200 && headers.first(name: "x-switchyard-model") == "dear")
        await door.server.shutdown()
    }

    /// A request in flight holds its predicted cost: a second request of the same key, sent
    /// while the first waits on its upstream, cannot also count on that money.
    @Test func requestsInFlightHoldTheirPredictedCostFromTheBudget() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let dear = GatedUpstream("dear", inputPerMillion: 10, outputPerMillion: 30, gate: gate.stream)
        let router = fakeRouter(["dear", "cheap"], predictedCosts: ["dear": 0.025, "cheap": 0.002])
        let door = try await ServedFrontDoor.start([dear, ScriptedUpstream("cheap")], router: router, keys: keys)
        let key = "sk-team-a-0123456789"
        let first = Task { try await door.post(["model": "auto", "messages": user], key: key) }
        while dear.calls == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // $0.04 - $0.025 held = $0.015: the dear model does not fit while the first request runs.
        let (status, headers, _) = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(status == 200 && headers.first(name: "x-switchyard-model") == "cheap")
        #expect(headers.first(name: "x-switchyard-budget-left-usd") == "0.01500000")
        gate.continuation.finish()
        let answered = try await first.value
        #expect(answered.status == 200 && answered.headers.first(name: "x-switchyard-model") == "dear")
        // Held money is given back once each request has booked its real cost.
        #expect(abs(door.ledger.left(for: "team-a", budget: 0.04) - (0.04 - 0.025 - 0.002)) < 1e-12)
        await door.server.shutdown()
    }

    @Test func keyFilesAreCheckedWhenRead() throws {
        #expect(throws: ConfigurationError.self) { try FrontDoorKeys(keys: []) }
        #expect(throws: ConfigurationError.self) { try FrontDoorKeys(keys: [.init(name: "a", key: "short")]) }
        #expect(throws: ConfigurationError.self) {
            try FrontDoorKeys(keys: [.init(name: "a", key: "sk-0123456789abcdef"), .init(name: "a", key: "sk-0123456789abcdeg")])
        }
        #expect(throws: ConfigurationError.self) { try FrontDoorKeys(keys: [.init(name: "a", key: "sk-0123456789abcdef", dailyBudgetUSD: -1)]) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID()).json").path
        try #"{"keys": [{"name": "x", "key": "sk-0123456789abcdef", "daily_budget_usd": 2.5}]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try FrontDoorKeys.load(file).keys == [.init(name: "x", key: "sk-0123456789abcdef", dailyBudgetUSD: 2.5)])
        #expect(throws: ConfigurationError.self) { try FrontDoorKeys.load("/nonexistent/keys.json") }
    }
}

/// An upstream that answers (1000 input, 500 output tokens) only once `gate` ends.
final class GatedUpstream: Upstream {
    let configuration: UpstreamConfiguration
    let gate: AsyncStream<Void>
    private let count = Mutex(0)

    init(_ name: String, inputPerMillion: Double, outputPerMillion: Double, gate: AsyncStream<Void>) {
        configuration = UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://unused", inputPerMillion: inputPerMillion, outputPerMillion: outputPerMillion)
        self.gate = gate
    }

    var calls: Int { count.withLock { $0 } }

    func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        count.withLock { $0 += 1 }
        for await _ in gate {}
        return UpstreamAnswer(text: "\(configuration.name): \(prompt)", inputTokens: 1000, outputTokens: 500, tokensEstimated: false)
    }
}

