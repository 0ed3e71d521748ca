import Foundation
import HTTPKit
import Logging
import RPC
import Testing
import Wire
@testable import Gateway

/// How much the gateway lets a learned router explore: the share it asks for, a request opting
/// out, and the daily budget of what exploring answers cost.
@Suite(.timeLimit(.minutes(1))) struct ExplorationTests {
    /// A router that explores every decision it is allowed to (choosing its ranking's first).
    func exploringRouter(asked: RouteRequests) -> InProcessCaller {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { request, _ in
            asked.append(request)
            return RouteResponse(
                model: "b", scores: [ModelScore(model: "b"), ModelScore(model: "a")], routerVersion: "v+learned.3",
                explored: request.exploreShare > 0)
        }
        return InProcessCaller(handlers, target: "router@test")
    }

    func post(_ door: OpenAIFrontDoor, model: String) async -> HTTPResponse {
        let body = try! Array(JSONSerialization.data(withJSONObject: ["model": model, "messages": [["role": "user", "content": "hi"]]]))
        return await door.handle(HTTPRequest(method: .POST, uri: "/v1/chat/completions", headers: [:], body: body))
    }

    @Test func theShareIsAskedForUntilTheDaysBudgetIsSpentUnlessTheRequestOptsOut() async throws {
        let asked = RouteRequests()
        // b answers 1000 input tokens at $1/M and 500 output at $2/M: $0.002 an answer.
        let budget = ExplorationBudget(share: 0.25, dailyUSD: 0.005)
        let door = OpenAIFrontDoor(
            complete: CompleteHandler(
                upstreams: [ScriptedUpstream("a"), ScriptedUpstream("b")], router: exploringRouter(asked: asked),
                recorder: OutcomeRecorder(exploration: budget)),
            logger: Logger(label: "test"))
        let first = await post(door, model: "switchyard:alpha=0.9")
        #expect(first.status == .ok && first.headers["x-switchyard-explored"] == ["true"])
        let optedOut = await post(door, model: "switchyard:alpha=0.9,explore=0")
        #expect(optedOut.status == .ok && optedOut.headers["x-switchyard-explored"].isEmpty)
        _ = await post(door, model: "auto")
        _ = await post(door, model: "switchyard:explore=1,alpha=0.5")
        // Three answers explored: $0.006 of $0.005; the next request may not explore.
        _ = await post(door, model: "auto")
        #expect(asked.all.map(\.exploreShare) == [0.25, 0, 0.25, 0.25, 0])
        #expect(asked.all.map(\.tradeoff) == [.alpha(0.9), .alpha(0.9), nil, .alpha(0.5), nil])
        #expect(budget.today.answers == 3 && abs(budget.today.usd - 0.006) < 1e-12)
    }

    @Test(arguments: [
        ("switchyard:alpha=0.9,lambda=2", "one trade-off knob at most"),
        ("switchyard:alpha=0.9,explore=2", "explore is 0 or 1"),
        ("switchyard:alpha=0.9,", "switchyard:<knob>=<number>"),
        ("switchyard:explore=maybe", "switchyard:<knob>=<number>"),
    ])
    func knobsThatDoNotParseAreRefused(model: String, message: String) async throws {
        let door = OpenAIFrontDoor(
            complete: CompleteHandler(upstreams: [ScriptedUpstream("a")], router: exploringRouter(asked: RouteRequests())),
            logger: Logger(label: "test"))
        let response = await post(door, model: model)
        #expect(response.status == .badRequest)
        #expect(String(decoding: response.body, as: UTF8.self).contains(message), "\(String(decoding: response.body, as: UTF8.self))")
    }

    @Test func aGatewayWithoutExplorationNeverAsks() {
        #expect(ExplorationBudget.off.shareFor(optedOut: false) == 0)
        let budget = ExplorationBudget(share: 0.1, dailyUSD: 0)
        #expect(budget.shareFor(optedOut: false) == 0, "a zero budget: nothing explores")
    }
}
