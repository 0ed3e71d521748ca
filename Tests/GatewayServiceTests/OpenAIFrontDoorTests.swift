import Foundation
import HTTPKit
import Logging
import NIOHTTP1
import RPC
import Testing
import Wire
@testable import Gateway

/// The OpenAI-compatible front door, called with HTTP requests in process.
@Suite(.timeLimit(.minutes(1))) struct OpenAIFrontDoorTests {
    func frontDoor(_ upstreams: [ScriptedUpstream], router: (any RPCCaller)? = nil) -> OpenAIFrontDoor {
        OpenAIFrontDoor(complete: CompleteHandler(upstreams: upstreams, router: router), logger: Logger(label: "test"))
    }

    func post(_ door: OpenAIFrontDoor, _ json: [String: Any]) async throws -> (HTTPResponse, [String: Any]) {
        try await post(door, bytes: Array(JSONSerialization.data(withJSONObject: json)))
    }

    func post(_ door: OpenAIFrontDoor, bytes: [UInt8], path: String = "/v1/chat/completions") async throws -> (HTTPResponse, [String: Any]) {
        let response = await door.handle(HTTPRequest(method: .POST, uri: path, headers: [:], body: bytes))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return (response, object)
    }

    func content(_ completion: [String: Any]) -> String? {
        ((completion["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }

    func error(_ body: [String: Any]) -> (type: String?, code: String?, message: String?) {
        let error = body["error"] as? [String: Any]
        return (error?["type"] as? String, error?["code"] as? String, error?["message"] as? String)
    }

    @Test func aNamedModelAnswersAsAChatCompletionAndSaysWhatItCost() async throws {
        let door = frontDoor([ScriptedUpstream("a"), ScriptedUpstream("b")])
        let (response, body) = try await post(door, ["model": "b", "messages": [["role": "user", "content": "hi"]]])
        #expect(response.status == .ok)
        #expect(content(body) == "b: hi")
        #expect(body["object"] as? String == "chat.completion")
        #expect((body["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 1000)
        #expect(response.headers["x-switchyard-model"] == ["b"])
        // 1000 input tokens at $1/M + 500 output at $2/M.
        #expect(response.headers["x-switchyard-cost-usd"] == ["0.00200000"])
        #expect(response.headers["x-switchyard-fallbacks"].isEmpty)
    }

    @Test func aRoutedModelNameCarriesItsKnobAndTheRouterSeesTheLastUserTurn() async throws {
        let asked = RouteRequests()
        let door = frontDoor([ScriptedUpstream("a"), ScriptedUpstream("b")], router: fakeRouter(["b", "a"], version: "v7", asked: asked))
        let messages: [[String: Any]] = [
            ["role": "system", "content": "be brief"],
            ["role": "user", "content": "first question"],
            ["role": "assistant", "content": "first answer"],
            ["role": "user", "content": [["type": "text", "text": "second"], ["type": "image_url", "image_url": ["url": "x"]], ["type": "text", "text": "question"]]],
        ]
        let (response, body) = try await post(door, ["model": "switchyard:max_cost=0.002", "messages": messages, "temperature": 0.2])
        #expect(response.status == .ok)
        #expect(content(body) == "b: second\nquestion")
        #expect(asked.all == [RouteRequest(prompt: "second\nquestion", tradeoff: .maxCostUSD(0.002))])
        #expect(response.headers["x-switchyard-router-version"] == ["v7"])

        _ = try await post(door, ["model": "auto", "messages": [["role": "user", "content": "x"]]])
        _ = try await post(door, ["model": "switchyard:alpha=0.3", "messages": [["role": "user", "content": "y"]]])
        #expect(asked.all.dropFirst().map(\.tradeoff) == [nil, .alpha(0.3)])
    }

    @Test(arguments: [
        (RoutingText.lastUserTurn, "second\nquestion"),
        (.userTurns, "first question\nsecond\nquestion"),
        (.conversation, "be brief\nfirst question\nfirst answer\nsecond\nquestion"),
    ])
    func theTurnsTheRouterReadsAreConfigurable(routeOn: RoutingText, expected: String) throws {
        let messages: [[String: Any]] = [
            ["role": "system", "content": "be brief"],
            ["role": "user", "content": "first question"],
            ["role": "assistant", "content": "first answer"],
            ["role": "assistant", "tool_calls": [["id": "1"]]],
            ["role": "user", "content": [["type": "text", "text": "second"], ["type": "text", "text": "question"]]],
        ]
        let body = try Array(JSONSerialization.data(withJSONObject: ["model": "auto", "messages": messages]))
        #expect(try ChatRequest(body: body, routeOn: routeOn).routingText == expected)
    }

    @Test func aFailingUpstreamFallsBackDownTheRankingAndTheHeaderSaysSo() async throws {
        let first = ScriptedUpstream("first", .fail(.unavailable))
        let second = ScriptedUpstream("second", .fail(.resourceExhausted))
        let third = ScriptedUpstream("third")
        let door = frontDoor([first, second, third], router: fakeRouter(["first", "second", "third"]))
        let (response, body) = try await post(door, ["model": "auto", "messages": [["role": "user", "content": "q"]]])
        #expect(response.status == .ok && content(body) == "third: q")
        #expect(response.headers["x-switchyard-model"] == ["third"])
        #expect(response.headers["x-switchyard-fallbacks"] == ["first UNAVAILABLE, second RESOURCE_EXHAUSTED"])
        #expect(door.complete.ledger.status.fallbacks == 1)
    }

    @Test func aRequestTheUpstreamRefusesIsNotTriedOnAnotherModel() async throws {
        let refusing = ScriptedUpstream("first", .fail(.invalidArgument))
        let other = ScriptedUpstream("second")
        let door = frontDoor([refusing, other], router: fakeRouter(["first", "second"]))
        let (response, body) = try await post(door, ["model": "auto", "messages": [["role": "user", "content": "q"]]])
        #expect(response.status == .badRequest)
        #expect(error(body).type == "invalid_request_error")
        #expect(other.calls == 0)
    }

    @Test func noUpstreamAnsweringIsABadGatewayNamingEveryFailure() async throws {
        let door = frontDoor(["a", "b"].map { ScriptedUpstream($0, .fail(.unavailable)) }, router: fakeRouter(["a", "b"]))
        let (response, body) = try await post(door, ["model": "auto", "messages": [["role": "user", "content": "q"]]])
        #expect(response.status == .badGateway)
        #expect(error(body).type == "upstream_error")
        #expect(error(body).message?.contains("a: UNAVAILABLE") == true && error(body).message?.contains("b: UNAVAILABLE") == true)
        #expect(response.headers["x-switchyard-fallbacks"] == ["a UNAVAILABLE, b UNAVAILABLE"])
    }

    @Test func badRequestsGetOpenAIShapedErrorsWithTheRightStatus() async throws {
        let door = frontDoor([ScriptedUpstream("a")], router: fakeRouter(["a"]))
        let user = [["role": "user", "content": "q"]]
        let cases: [([UInt8], HTTPResponseStatus, String)] = [
            (Array("{not json".utf8), .badRequest, "not a JSON object"),
            (try Array(JSONSerialization.data(withJSONObject: ["messages": user])), .badRequest, "needs \"model\""),
            (try Array(JSONSerialization.data(withJSONObject: ["model": "a"])), .badRequest, "needs \"messages\""),
            (try Array(JSONSerialization.data(withJSONObject: ["model": "a", "messages": [["role": "system", "content": "s"]]])), .badRequest, "no user message"),
            (try Array(JSONSerialization.data(withJSONObject: ["model": "gpt-9", "messages": user])), .notFound, "unknown model \"gpt-9\""),
            (try Array(JSONSerialization.data(withJSONObject: ["model": "switchyard:speed=1", "messages": user])), .badRequest, "unknown knob speed"),
            (try Array(JSONSerialization.data(withJSONObject: ["model": "switchyard:alpha=lots", "messages": user])), .badRequest, "switchyard:<knob>=<number>"),
        ]
        for (bytes, status, message) in cases {
            let (response, body) = try await post(door, bytes: bytes)
            #expect(response.status == status, "\(message)")
            #expect(error(body).message?.contains(message) == true, "\(error(body).message ?? "no message") should say \(message)")
            #expect(error(body).type != nil && error(body).code != nil)
        }
        #expect(error(try await post(door, ["model": "gpt-9", "messages": user]).1).code == "model_not_found")
        let (unknownPath, _) = try await post(door, bytes: [], path: "/v1/embeddings")
        #expect(unknownPath.status == .notFound)
        let wrongMethod = await door.handle(HTTPRequest(method: .GET, uri: "/v1/chat/completions", headers: [:], body: []))
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(OpenAIFrontDoor.tooLarge(1024).status == .payloadTooLarge)
    }

    @Test func modelsListsTheUpstreamsAndTheRoutedNames() async throws {
        let door = frontDoor([ScriptedUpstream("b"), ScriptedUpstream("a")], router: fakeRouter(["a"]))
        let response = await door.handle(HTTPRequest(method: .GET, uri: "/v1/models", headers: [:], body: []))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let ids = (body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["a", "b", "auto", "switchyard:alpha=0.5"])
        let withoutRouter = await frontDoor([ScriptedUpstream("a")]).handle(HTTPRequest(method: .GET, uri: "/v1/models", headers: [:], body: []))
        #expect(String(decoding: withoutRouter.body, as: UTF8.self).contains("auto") == false)
    }
}
