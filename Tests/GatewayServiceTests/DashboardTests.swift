import Foundation
import HTTPKit
import Logging
import NIOHTTP1
import RPC
import Store
import Synchronization
import Testing
import UpstreamHTTP
import Wire
@testable import Gateway

/// The dashboard's page and figures, decisions' explanations and trace context, through the front
/// door in process with a real SQLite store.
@Suite(.timeLimit(.minutes(1))) struct DashboardTests {
    let user = [["role": "user", "content": "q"]]
    let keys = try! FrontDoorKeys(keys: [
        .init(name: "team-a", key: "sk-team-a-0123456789", dailyBudgetUSD: 1), .init(name: "team-b", key: "sk-team-b-0123456789"),
    ])
    static let admin = "admin-token-0123456789"
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// A cluster router's answer: strong over weak, two clusters deciding.
    static func clusterRouter() -> InProcessCaller {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { _, _ in
            RouteResponse(
                model: "strong",
                scores: [ModelScore(model: "strong", score: 0.9, predictedQuality: 0.8, predictedCostUSD: 0.002),
                         ModelScore(model: "weak", score: 0.5, predictedQuality: 0.6, predictedCostUSD: 0.0001)],
                clusters: [ClusterHit(cluster: 7, distance: 0.25, weight: 0.75), ClusterHit(cluster: 2, distance: 0.5, weight: 0.25)],
                routerVersion: "v9", alpha: 0.9, replica: "router-1", router: "cluster")
        }
        return InProcessCaller(handlers, target: "router")
    }

    struct Setup {
        let door: FrontDoorUnderTest
        let feed: DashboardFeed
        let store: OutcomeStore
    }

    func setup(adminToken: String? = admin, upstreams: [any Upstream] = [ScriptedUpstream("strong"), ScriptedUpstream("weak")]) throws -> Setup {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID()).sqlite").path
        let store = try OutcomeStore(.sqlite(path: path))
        let reader = StoreReader(.sqlite(path: path))
        let complete = CompleteHandler(
            upstreams: upstreams, router: Self.clusterRouter(), recorder: OutcomeRecorder(store: store, exploration: ExplorationBudget(share: 0.1, dailyUSD: 2)))
        let feed = DashboardFeed(complete: complete, keys: keys, reader: reader, fleet: nil, slowInterval: .zero)
        let door = OpenAIFrontDoor(
            complete: complete, keys: keys, dashboard: feed, decisions: DecisionDesk(reader: reader), adminToken: adminToken, logger: Logger(label: "test"))
        return Setup(door: FrontDoorUnderTest(door: door), feed: feed, store: store)
    }

    func object(_ reply: HTTPResponseRecorder.Recording) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
    }

    func get(_ door: FrontDoorUnderTest, _ path: String, bearer: String? = nil, headers extra: HTTPHeaders = [:]) async -> HTTPResponseRecorder.Recording {
        var headers = extra
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        return await door.door.handle(HTTPRequest(method: .GET, uri: path, headers: headers)).recorded(clientLeavesAfter: nil)
    }

    @Test func aDecisionIsExplainedToItsKeyAndTheAdminWithEverythingThatDecidedIt() async throws {
        let s = try setup()
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Authorization": "Bearer sk-team-a-0123456789", "traceparent": Self.traceparent]
        headers.add(name: "tracestate", value: "vendor=1")
        let body = Array(try JSONSerialization.data(withJSONObject: ["model": "switchyard:alpha=0.9", "messages": user]))
        let reply = await s.door.door.handle(HTTPRequest(method: .POST, uri: "/v1/chat/completions", headers: headers, body: body)).recorded(clientLeavesAfter: nil)
        #expect(reply.code == 200)
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        #expect(reply.headers.first(name: "x-switchyard-trace-id") == "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace goes on")
        #expect(try await s.door.feedback(["id": id, "score": 0.5], key: "sk-team-a-0123456789").code == 200)

        let explained = await get(s.door, "/v1/decisions/\(id)", bearer: "sk-team-a-0123456789")
        #expect(explained.code == 200)
        let d = try object(explained)
        #expect(d["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        let candidates = try #require(d["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["model"] as? String } == ["strong", "weak"])
        #expect(candidates.first?["predicted_quality"] as? Double == 0.8 && candidates.first?["utility"] as? Double == 0.9)
        #expect(candidates.first?["answered"] as? Bool == true && candidates.last?["tried"] as? Bool == false)
        #expect((d["clusters"] as? [[String: Any]])?.map { $0["cluster"] as? Int } == [7, 2])
        #expect((d["tradeoff"] as? [String: Any])?["asked"] as? String == "alpha=0.9")
        let filters = try #require(d["filters"] as? [String: Any])
        #expect(filters["budget_left_usd"] as? Double == 1, "what the key had left when decided")
        let exploration = try #require(d["exploration"] as? [String: Any])
        #expect(exploration["explored"] as? Bool == false && exploration["share"] as? Double == 0.1 && exploration["reason"] as? String == "allowed")
        #expect((d["router"] as? [String: Any])?["replica"] as? String == "router-1")
        #expect((d["answer"] as? [String: Any])?["model"] as? String == "strong")
        #expect((d["feedback"] as? [[String: Any]])?.first?["score"] as? Double == 0.5)

        #expect(await get(s.door, "/v1/decisions/\(id)", bearer: Self.admin).code == 200, "the admin sees every request")
        #expect(await get(s.door, "/v1/decisions/\(id)", bearer: "sk-team-b-0123456789").code == 403, "another key's request")
        #expect(await get(s.door, "/v1/decisions/\(id)").code == 401)
        #expect(await get(s.door, "/v1/decisions/chatcmpl-sy000000000000000000000000", bearer: Self.admin).code == 404)
        s.store.close()
    }

    @Test func aFallbackAndAnOptOutAreExplained() async throws {
        let s = try setup(upstreams: [ScriptedUpstream("strong", .fail(.unavailable)), ScriptedUpstream("weak")])
        let reply = try await s.door.post(["model": "switchyard:explore=0", "messages": user], key: "sk-team-b-0123456789")
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        let d = try object(await get(s.door, "/v1/decisions/\(id)", bearer: "sk-team-b-0123456789"))
        let fallbacks = try #require(d["fallbacks"] as? [String])
        #expect(fallbacks.count == 1 && fallbacks[0].hasPrefix("strong: ") && !fallbacks[0].hasPrefix("strong: strong:"))
        #expect((d["answer"] as? [String: Any])?["model"] as? String == "weak")
        #expect((d["exploration"] as? [String: Any])?["reason"] as? String == "opted_out")
        #expect(reply.headers.first(name: "x-switchyard-trace-id")?.count == 32, "a request without a trace starts one")
        s.store.close()
    }

    @Test func aRequestMadeWithoutAKeyIsAnyKeysToSeeAndAMissingOneIsNotAModel() async throws {
        let s = try setup()
        var handlers = RPCHandlers()
        s.door.door.complete.register(in: &handlers)
        let gateway = InProcessCaller(handlers, target: "gateway")
        let answer = try await gateway.call(Methods.complete, CompleteRequest(prompt: "q", model: "auto"))
        let d = try object(await get(s.door, "/v1/decisions/\(answer.requestID)", bearer: "sk-team-b-0123456789"))
        #expect(d["key"] == nil && (d["clusters"] as? [[String: Any]])?.count == 2)
        let missing = await get(s.door, "/v1/decisions/chatcmpl-sy000000000000000000000000", bearer: Self.admin)
        let error = try object(missing)["error"] as? [String: Any]
        #expect(missing.code == 404 && error?["code"] as? String == "not_found")
        s.store.close()
    }

    @Test func theDashboardPageIsSelfContainedAndItsFiguresNeedTheAdminToken() async throws {
        let s = try setup()
        let page = await get(s.door, "/dashboard")
        #expect(page.code == 200 && page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        #expect(!page.text.contains("http://") && !page.text.contains("https://") && !page.text.contains("src="),
                "nothing is fetched from outside the gateway")
        #expect(await get(s.door, "/dashboard/data").code == 401)
        #expect(await get(s.door, "/dashboard/data", bearer: "sk-team-a-0123456789").code == 403, "a key sees no other key's spend")
        #expect(await get(s.door, "/dashboard/data", bearer: Self.admin).code == 200)

        let open = try setup(adminToken: nil)
        #expect(await get(open.door, "/dashboard/data", bearer: "sk-team-b-0123456789").code == 200, "without an admin token, any key")
        s.store.close()
        open.store.close()
    }

    @Test func theFiguresAgreeWithTheLedgerAndTheStore() async throws {
        let s = try setup()
        s.feed.sample()
        var ids: [String] = []
        for key in ["sk-team-a-0123456789", "sk-team-b-0123456789", "sk-team-b-0123456789"] {
            let reply = try await s.door.post(["model": "auto", "messages": user], key: key)
            ids.append(try #require(reply.headers.first(name: "x-switchyard-request-id")))
        }
        _ = try await s.door.post(["model": "weak", "messages": user], key: "sk-team-b-0123456789")
        #expect(try await s.door.feedback(["id": ids[0], "score": 1], key: "sk-team-a-0123456789").code == 200)
        #expect(try await s.door.feedback(["id": ids[1], "score": 0], key: "sk-team-b-0123456789").code == 200)
        try await Task.sleep(for: .milliseconds(5))
        s.feed.sample()

        let d = try object(await get(s.door, "/dashboard/data", bearer: Self.admin))
        let ledger = s.door.ledger.status
        let totals = try #require(d["totals"] as? [String: Any])
        #expect(totals["answers"] as? Int == 4 && totals["routed"] as? Int == 3)
        #expect(abs((totals["cost_usd"] as? Double ?? 0) - ledger.totalCostUSD) < 1e-12)
        let series = try #require(d["series"] as? [String: Any])
        let perSecond = try #require(series["answers"] as? [Double])
        #expect(perSecond.count == 1 && perSecond[0] > 0, "one interval between the two samples, with answers in it")
        let models = try #require(d["models"] as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["strong", "weak"] && models.map { $0["answers"] as? Int } == [3, 1])
        let keys = try #require(d["keys"] as? [[String: Any]])
        #expect(keys.map { $0["name"] as? String } == ["team-a", "team-b"])
        #expect(abs((keys[0]["spent_today_usd"] as? Double ?? 0) - s.door.ledger.spentToday(by: "team-a")) < 1e-12)
        #expect(keys[0]["daily_budget_usd"] as? Double == 1 && keys[1]["daily_budget_usd"] == nil)
        let money = try #require(d["money"] as? [String: Any])
        #expect(money["best_model"] as? String == "strong" && money["cheapest_model"] as? String == "weak", "as the router predicts them")
        // Every answer's tokens priced at each model's prices: ScriptedUpstream charges $1/M in, $2/M out.
        #expect(abs((money["always_best_usd"] as? Double ?? 0) - 4 * 0.002) < 1e-12)
        let quality = try #require(d["quality"] as? [String: Any])
        let byModel = try #require(quality["by_model"] as? [[String: Any]])
        #expect(byModel.count == 1 && byModel[0]["model"] as? String == "strong" && byModel[0]["user_count"] as? Int == 2)
        #expect(byModel[0]["user_mean"] as? Double == 0.5)
        let byCluster = try #require(quality["by_cluster"] as? [[String: Any]])
        #expect(byCluster.map { $0["cluster"] as? Int } == [7], "counted under the nearest cluster")
        let recent = try #require(d["recent"] as? [[String: Any]])
        #expect(recent.count == 4 && Set(recent.compactMap { $0["id"] as? String }).isSuperset(of: ids))
        let exploration = try #require(d["exploration"] as? [String: Any])
        #expect(exploration["budget_usd"] as? Double == 2 && exploration["share"] as? Double == 0.1)
        s.store.close()
    }

    @Test func theTraceGoesToTheUpstreamAsW3CHeaders() async throws {
        let seen = Mutex<HTTPHeaders?>(nil)
        let server = HTTPServer(host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20, logger: Logger(label: "test")) { request in
            seen.withLock { $0 = request.headers }
            let answer = #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#
            return HTTPResponse(contentType: "application/json", text: answer)
        }
        let address = try await server.start()
        defer { Task { await server.shutdown() } }
        let upstream = try OpenAIUpstream(UpstreamConfiguration(name: "m", kind: .openai, baseURL: "http://127.0.0.1:\(address.port!)/v1"))
        let door = FrontDoorUnderTest([upstream])
        var headers: HTTPHeaders = ["Content-Type": "application/json", "traceparent": Self.traceparent, "tracestate": "vendor=1"]
        headers.add(name: "x-other", value: "1")
        let body = Array(try JSONSerialization.data(withJSONObject: ["model": "m", "messages": user]))
        let reply = await door.door.handle(HTTPRequest(method: .POST, uri: "/v1/chat/completions", headers: headers, body: body)).recorded(clientLeavesAfter: nil)
        #expect(reply.code == 200)
        let sent = try #require(seen.withLock { $0 })
        let parent = try #require(sent.first(name: "traceparent"))
        #expect(parent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") && parent.hasSuffix("-01"), "the same trace")
        #expect(!parent.contains("00f067aa0ba902b7"), "a span of the gateway's own as the parent")
        #expect(sent.first(name: "tracestate") == "vendor=1")
    }
}
