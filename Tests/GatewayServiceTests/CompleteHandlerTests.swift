import Foundation
import RPC
import Synchronization
import Testing
import Wire
@testable import Gateway

/// An upstream whose answers a test scripts: OK, a status, or no answer until cancelled.
final class ScriptedUpstream: Upstream {
    /// Answers "<name>: <prompt>", answers `reply` whatever it is asked, fails, or never answers.
    enum Behaviour: Sendable { case answer, reply(String), fail(StatusCode), hang }

    let configuration: UpstreamConfiguration
    private let state: Mutex<(behaviour: Behaviour, calls: Int, prompts: [String], maxTokens: [UInt32])>

    init(_ name: String, inputPerMillion: Double = 1, outputPerMillion: Double = 2, _ behaviour: Behaviour = .answer) {
        configuration = UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://unused", inputPerMillion: inputPerMillion,
            outputPerMillion: outputPerMillion, timeoutSeconds: 5)
        state = Mutex((behaviour, 0, [], []))
    }

    var calls: Int { state.withLock { $0.calls } }
    /// The prompts it was asked, in order.
    var prompts: [String] { state.withLock { $0.prompts } }
    /// The `max_tokens` of each call, in order (0: none).
    var maxTokens: [UInt32] { state.withLock { $0.maxTokens } }

    func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        let behaviour = state.withLock { state in
            state.calls += 1
            state.prompts.append(prompt)
            state.maxTokens.append(maxTokens)
            return state.behaviour
        }
        switch behaviour {
        case .answer:
            return UpstreamAnswer(text: "\(configuration.name): \(prompt)", inputTokens: 1000, outputTokens: 500, tokensEstimated: false)
        case .reply(let text):
            return UpstreamAnswer(text: text, inputTokens: 1000, outputTokens: 500, tokensEstimated: false)
        case .fail(let status):
            throw RPCError(status, "\(configuration.name) fails")
        case .hang:
            try await Task.sleep(for: .seconds(60))
            throw RPCError(.internal, "unreachable")
        }
    }
}

/// The requests a fake router was asked.
final class RouteRequests: Sendable {
    private let requests = Mutex<[RouteRequest]>([])
    func append(_ request: RouteRequest) { requests.withLock { $0.append(request) } }
    var all: [RouteRequest] { requests.withLock { $0 } }
}

/// A router that always ranks `ranking` (first = its choice), recording what it was asked.
func fakeRouter(_ ranking: [String], version: String = "v1", asked: RouteRequests? = nil, predictedCosts: [String: Double] = [:]) -> InProcessCaller {
    var handlers = RPCHandlers()
    handlers.register(Methods.route) { request, _ in
        asked?.append(request)
        return RouteResponse(
            model: ranking[0], scores: ranking.map { ModelScore(model: $0, predictedCostUSD: predictedCosts[$0] ?? 0) }, routerVersion: version)
    }
    return InProcessCaller(handlers, target: "router@test")
}

/// The gateway's Complete through the in-process transport.
@Suite(.timeLimit(.minutes(1))) struct CompleteHandlerTests {
    func gateway(_ upstreams: [ScriptedUpstream], router: (any RPCCaller)?, maxAttempts: Int = 3) -> (InProcessCaller, CostLedger) {
        let handler = CompleteHandler(upstreams: upstreams, router: router, maxAttempts: maxAttempts)
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        return (InProcessCaller(handlers, target: "gateway"), handler.ledger)
    }

    @Test func aNamedModelIsCalledDirectlyAndItsCostBooked() async throws {
        let (gateway, ledger) = gateway([ScriptedUpstream("a"), ScriptedUpstream("b", inputPerMillion: 10, outputPerMillion: 30)], router: nil)
        let response = try await gateway.call(Methods.complete, CompleteRequest(prompt: "hi", model: "b"))
        #expect(response.model == "b")
        #expect(response.text == "b: hi")
        #expect(response.attempts.map(\.model) == ["b"])
        // 1000 input tokens at $10/M + 500 output at $30/M.
        #expect(abs(response.costUSD - 0.025) < 1e-12)
        let status = ledger.status
        #expect(abs(status.totalCostUSD - 0.025) < 1e-12)
        #expect(status.models.map(\.model) == ["b"])
        #expect(status.models[0].inputTokens == 1000 && status.models[0].outputTokens == 500)
        #expect(status.routed == 0)
    }

    @Test func autoCallsTheRoutersChoiceAndPassesTheTradeoffOn() async throws {
        let asked = RouteRequests()
        let (gateway, ledger) = gateway([ScriptedUpstream("a"), ScriptedUpstream("b")], router: fakeRouter(["b", "a"], asked: asked))
        let request = CompleteRequest(prompt: "route me", model: "auto", tradeoff: .maxCostUSD(0.01), allowedModels: ["a", "b"])
        let response = try await gateway.call(Methods.complete, request)
        #expect(response.model == "b")
        #expect(response.routerVersion == "v1")
        #expect(asked.all == [RouteRequest(prompt: "route me", tradeoff: .maxCostUSD(0.01), allowedModels: ["a", "b"])])
        #expect(ledger.status.routed == 1 && ledger.status.fallbacks == 0)
    }

    @Test func autoFallsBackDownTheRankingAndSaysWhatItTried() async throws {
        let first = ScriptedUpstream("first", .fail(.unavailable))
        let second = ScriptedUpstream("second", .fail(.resourceExhausted))
        let third = ScriptedUpstream("third")
        let (gateway, ledger) = gateway([first, second, third], router: fakeRouter(["first", "second", "third"]))
        let response = try await gateway.call(Methods.complete, CompleteRequest(prompt: "x", model: "auto"))
        #expect(response.model == "third")
        #expect(response.attempts.map(\.model) == ["first", "second", "third"])
        #expect(response.attempts.map(\.status) == [.unavailable, .resourceExhausted, .ok])
        let status = ledger.status
        #expect(status.fallbacks == 1)
        #expect(status.models.first { $0.model == "first" }?.failures == 1)
    }

    @Test func attemptsAreCappedAndEveryFailureIsReported() async throws {
        let upstreams = ["a", "b", "c"].map { ScriptedUpstream($0, .fail(.unavailable)) }
        let (gateway, _) = gateway(upstreams, router: fakeRouter(["a", "b", "c"]), maxAttempts: 2)
        let error = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, CompleteRequest(prompt: "x")) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("a: UNAVAILABLE") == true && error?.message.contains("b: UNAVAILABLE") == true)
        #expect(upstreams.map(\.calls) == [1, 1, 0])
    }

    @Test func theCallersDeadlineBoundsTheUpstreams() async throws {
        let (gateway, _) = gateway([ScriptedUpstream("slow", .hang)], router: nil)
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            try await gateway.call(Methods.complete, CompleteRequest(prompt: "x", model: "slow"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func routerRankingsWithoutAnUpstreamHereAreRefused() async throws {
        let (gateway, _) = gateway([ScriptedUpstream("a")], router: fakeRouter(["elsewhere"]))
        let error = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, CompleteRequest(prompt: "x")) }
        #expect(error?.code == .failedPrecondition)
    }

    @Test func badRequestsAreInvalidOrNeedARouter() async throws {
        let (gateway, _) = gateway([ScriptedUpstream("a")], router: nil)
        let empty = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, CompleteRequest(model: "a")) }
        #expect(empty?.code == .invalidArgument)
        let unknown = await #expect(throws: RPCError.self) {
            try await gateway.call(Methods.complete, CompleteRequest(prompt: "x", model: "gpt-7"))
        }
        #expect(unknown?.code == .invalidArgument)
        #expect(unknown?.message.contains("configured: auto, a") == true)
        let noRouter = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, CompleteRequest(prompt: "x")) }
        #expect(noRouter?.code == .failedPrecondition)
    }

    @Test func theRoutersFailureIsReportedWithItsName() async throws {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { _, _ -> RouteResponse in throw RPCError(.unavailable, "no healthy router replica") }
        let (gateway, _) = gateway([ScriptedUpstream("a")], router: InProcessCaller(handlers, target: "coordinator@x"))
        let error = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, CompleteRequest(prompt: "x")) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("coordinator@x") == true)
    }
}

/// A chat endpoint that records what it was sent and answers with a fixed completion.
final class RecordingChatUpstream: Upstream {
    let configuration: UpstreamConfiguration
    private let received = Mutex<[[UInt8]]>([])

    init(_ name: String) {
        configuration = UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://unused", inputPerMillion: 1, outputPerMillion: 2, timeoutSeconds: 5)
    }

    /// The JSON bodies it was sent.
    var requests: [[String: Any]] {
        received.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) ?? [:] }
    }

    func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        throw RPCError(.internal, "a chat endpoint is called with chat")
    }

    func chat(_ request: ChatRequest, timeout: Duration) async throws -> ChatAnswer {
        received.withLock { $0.append(request.body) }
        let reply = #"{"choices": [{"index": 0, "message": {"role": "assistant", "content": "four"}}], "usage": {"prompt_tokens": 20, "completion_tokens": 2}}"#
        return ChatAnswer(body: Array(reply.utf8), text: "four", inputTokens: 20, outputTokens: 2, tokensEstimated: false)
    }
}

/// Complete with a conversation and pass-through parameters: the same features the HTTP front
/// door has, over the protobuf wire.
@Suite(.timeLimit(.minutes(1))) struct CompleteConversationTests {
    let conversation = [
        ChatMessage(role: "system", content: "Answer with one word."),
        ChatMessage(role: "user", content: "What is 1+1?"),
        ChatMessage(role: "assistant", content: "two"),
        ChatMessage(role: "user", content: "And 2+2?"),
    ]

    @Test func theRouterSeesTheLastUserTurnAndTheUpstreamEveryTurnAndParameter() async throws {
        let asked = RouteRequests()
        let upstream = RecordingChatUpstream("chat")
        let handler = CompleteHandler(upstreams: [upstream], router: fakeRouter(["chat"], asked: asked))
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        let gateway = InProcessCaller(handlers, target: "gateway")
        let request = CompleteRequest(
            model: "auto", maxTokens: 16, tradeoff: .alpha(0.4), router: "knn", maxLatencyMs: 900, messages: conversation,
            parametersJson: #"{"temperature": 0.1, "tools": [{"type": "function", "function": {"name": "calc"}}], "model": "ignored"}"#)
        let response = try await gateway.call(Methods.complete, request)
        #expect(response.text == "four" && response.model == "chat")
        #expect(response.inputTokens == 20 && response.outputTokens == 2 && !response.tokensEstimated)
        #expect(asked.all == [RouteRequest(prompt: "And 2+2?", tradeoff: .alpha(0.4), router: "knn", maxLatencyMs: 900)])
        let sent = try #require(upstream.requests.first)
        let turns = try #require(sent["messages"] as? [[String: Any]])
        #expect(turns.compactMap { $0["content"] as? String } == conversation.map(\.content))
        #expect(turns.compactMap { $0["role"] as? String } == conversation.map(\.role))
        #expect(sent["temperature"] as? Double == 0.1 && sent["max_tokens"] as? Int == 16)
        #expect((sent["tools"] as? [[String: Any]])?.count == 1)
        #expect(sent["model"] as? String == "auto")
    }

    @Test func aConversationWithoutAUserTurnOrParametersThatAreNotAnObjectAreRefused() async throws {
        let handler = CompleteHandler(upstreams: [RecordingChatUpstream("chat")], router: fakeRouter(["chat"]))
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        let gateway = InProcessCaller(handlers, target: "gateway")
        for request in [
            CompleteRequest(model: "chat"),
            CompleteRequest(model: "chat", messages: [ChatMessage(role: "system", content: "s")]),
            CompleteRequest(prompt: "hi", model: "chat", parametersJson: "[1, 2]"),
        ] {
            let error = await #expect(throws: RPCError.self) { try await gateway.call(Methods.complete, request) }
            #expect(error?.code == .invalidArgument)
        }
    }
}
