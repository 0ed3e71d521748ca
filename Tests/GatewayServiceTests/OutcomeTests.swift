import Foundation
import HTTPKit
import Logging
import NIOHTTP1
import RPC
import Store
import Testing
import Wire
@testable import Gateway

/// Request ids, outcome records and feedback, through the front door and the protobuf API, with a
/// real SQLite store.
@Suite(.timeLimit(.minutes(1))) struct OutcomeTests {
    let user = [["role": "user", "content": "q"]]
    let keys = try! FrontDoorKeys(keys: [
        .init(name: "team-a", key: "sk-team-a-0123456789"), .init(name: "team-b", key: "sk-team-b-0123456789"),
    ])

    static func store() throws -> OutcomeStore {
        try OutcomeStore(.sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("outcomes-\(UUID()).sqlite").path))
    }

    /// A router ranking strong, weak that returns the vector it routed on when asked.
    static func embeddingRouter() -> InProcessCaller {
        var handlers = RPCHandlers()
        handlers.register(Methods.route) { request, _ in
            RouteResponse(
                model: "strong",
                scores: [ModelScore(model: "strong", score: 0.9, predictedQuality: 0.8, predictedCostUSD: 0.002),
                         ModelScore(model: "weak", score: 0.5, predictedQuality: 0.6, predictedCostUSD: 0.0001)],
                routerVersion: "v9", router: "cluster", embedding: request.includeEmbedding ? [0.5, 0.25, -1] : [])
        }
        return InProcessCaller(handlers, target: "router")
    }

    func door(_ store: OutcomeStore?, record: RecordPrompts = .embedding, keys: FrontDoorKeys? = nil) -> FrontDoorUnderTest {
        let recorder = OutcomeRecorder(store: store, recordPrompts: record)
        return FrontDoorUnderTest(
            door: OpenAIFrontDoor(
                complete: CompleteHandler(
                    upstreams: [ScriptedUpstream("strong"), ScriptedUpstream("weak")], router: Self.embeddingRouter(), recorder: recorder),
                keys: keys, logger: Logger(label: "test")))
    }

    func object(_ reply: HTTPResponseRecorder.Recording) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
    }

    @Test func everyAnswerHasAnIdItsRecordIsWrittenBeforeItAndFeedbackRatesIt() async throws {
        let store = try Self.store()
        let door = door(store)
        let reply = try await door.post(["model": "auto", "messages": user])
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        #expect(RequestID.isWellFormed(id))
        #expect(try object(reply)["id"] as? String == id, "the completion's id is the request id")
        // Written before the answer went out.
        let stored = try #require(try await store.outcome(id: id))
        #expect(stored.record.model == "strong" && stored.record.router == "cluster" && stored.record.routerVersion == "v9")
        #expect(stored.record.candidates.map(\.model) == ["strong", "weak"])
        #expect(stored.record.candidates.first?.predictedQuality == 0.8)
        #expect(stored.record.embedding == [0.5, 0.25, -1], "the routed text's embedding, not the text")
        #expect(stored.record.prompt == nil)
        #expect(abs(stored.record.costUSD - 0.002) < 1e-12)
        #expect(stored.record.attempts.map(\.model) == ["strong"])

        let rated = try await door.feedback(["id": id, "score": 0.75, "comment": "fine"])
        #expect(rated.code == 200)
        #expect(try object(rated)["replaced"] as? Bool == false)
        let again = try await door.feedback(["id": id, "score": 0.25])
        #expect(again.code == 200)
        #expect(try object(again)["replaced"] as? Bool == true, "a second score replaces the first and says so")
        #expect(try await store.outcome(id: id)?.feedback.map(\.score) == [0.25])
        store.close()
    }

    @Test func feedbackRefusalsAreClearAndCarryTheirStatus() async throws {
        let store = try Self.store()
        let door = door(store, keys: keys)
        let reply = try await door.post(["model": "auto", "messages": user], key: "sk-team-a-0123456789")
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        let cases: [(body: Any, key: String?, status: UInt)] = [
            (["id": id, "score": 1.5], "sk-team-a-0123456789", 400),
            (["id": id, "score": -0.1], "sk-team-a-0123456789", 400),
            (["id": id, "score": true], "sk-team-a-0123456789", 400),
            (["id": id], "sk-team-a-0123456789", 400),
            (["score": 1], "sk-team-a-0123456789", 400),
            (["id": id, "score": 1, "comment": String(repeating: "x", count: 2001)], "sk-team-a-0123456789", 400),
            (["id": "chatcmpl-syAAAAAAAAAAAAAAAAAAAAAA", "score": 1], "sk-team-a-0123456789", 404),
            (["id": "not-an-id", "score": 1], "sk-team-a-0123456789", 404),
            (["id": id, "score": 1], "sk-team-b-0123456789", 403),
            (["id": id, "score": 1], nil, 401),
        ]
        for (body, key, status) in cases {
            let answer = try await door.send(json: body, to: "/v1/feedback", key: key)
            #expect(answer.code == status, "\(body) with \(key ?? "no key"): \(answer.code) \(answer.text)")
            #expect((try? object(answer))?["error"] != nil, "an OpenAI-shaped error")
        }
        let malformed = await door.door.handle(HTTPRequest(
            method: .POST, uri: "/v1/feedback", headers: ["Authorization": "Bearer sk-team-a-0123456789"], body: Array("{not json".utf8))).recorded()
        #expect(malformed.code == 400)
        #expect(try await door.feedback(["id": id, "score": 1], key: "sk-team-a-0123456789").code == 200)
        store.close()
    }

    @Test func withoutAStoreFeedbackSaysWhatIsMissing() async throws {
        let door = door(nil)
        let reply = try await door.post(["model": "auto", "messages": user])
        #expect(reply.headers.first(name: "x-switchyard-request-id") != nil, "ids are given without a store too")
        let rated = try await door.feedback(["id": reply.headers.first(name: "x-switchyard-request-id")!, "score": 1])
        #expect(rated.code == 501 && rated.text.contains("--store"))
    }

    @Test func streamedChunksCarryTheRequestIdAndTheRecordHasTheTimeToFirstToken() async throws {
        let store = try Self.store()
        let door = door(store, record: .text)
        let reply = try await door.post(["model": "auto", "messages": user, "stream": true])
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        let chunks = FrontDoorUnderTest.events(reply.text).compactMap { $0 as? [String: Any] }
        #expect(!chunks.isEmpty && chunks.allSatisfy { $0["id"] as? String == id })
        let record = try #require(try await store.outcome(id: id)).record
        #expect(record.streamed && record.firstTokenMs != nil && record.prompt == "q" && record.embedding == nil)
        store.close()
    }

    @Test func aFailedRequestIsRecordedWithItsStatusAndAttempts() async throws {
        let store = try Self.store()
        let recorder = OutcomeRecorder(store: store)
        let door = FrontDoorUnderTest(door: OpenAIFrontDoor(
            complete: CompleteHandler(upstreams: [ScriptedUpstream("m", .fail(.unavailable))], router: nil, recorder: recorder),
            logger: Logger(label: "test")))
        let reply = try await door.post(["model": "m", "messages": user])
        #expect(reply.code == 502)
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        let record = try #require(try await store.outcome(id: id)).record
        #expect(record.status == StatusCode.unavailable.rawValue && record.model == nil && record.attempts.count == 1)
        store.close()
    }

    @Test func completeAnswersCarryTheirIdAndTheFeedbackRPCRatesThem() async throws {
        let store = try Self.store()
        var handlers = RPCHandlers()
        let handler = CompleteHandler(
            upstreams: [ScriptedUpstream("strong"), ScriptedUpstream("weak")], router: Self.embeddingRouter(),
            recorder: OutcomeRecorder(store: store))
        handler.register(in: &handlers)
        FeedbackDesk(store: store, keys: keys).register(in: &handlers)
        let gateway = InProcessCaller(handlers)
        let answer = try await gateway.call(Methods.complete, CompleteRequest(prompt: "q", model: "auto"))
        #expect(RequestID.isWellFormed(answer.requestID))
        #expect(try await store.outcome(id: answer.requestID)?.record.embedding == [0.5, 0.25, -1])
        #expect(try await gateway.call(Methods.feedback, FeedbackRequest(id: answer.requestID, score: 0.5)).replaced == false)
        #expect(try await gateway.call(Methods.feedback, FeedbackRequest(id: answer.requestID, score: 0.6)).replaced == true)
        let unknown = await #expect(throws: RPCError.self) {
            try await gateway.call(Methods.feedback, FeedbackRequest(id: "chatcmpl-syBBBBBBBBBBBBBBBBBBBBBB", score: 0.5))
        }
        #expect(unknown?.code == .notFound)
        let badKey = await #expect(throws: RPCError.self) {
            try await gateway.call(Methods.feedback, FeedbackRequest(id: answer.requestID, score: 0.5, apiKey: "sk-nope-000000000000"))
        }
        #expect(badKey?.code == .unauthenticated)
        store.close()
    }

    @Test func latenciesAreLearnedFromAnswersAndDecay() {
        let clock = TestClock()
        let tracker = LatencyTracker(halfLife: .seconds(60), clock: { clock.now })
        for _ in 0..<100 { tracker.observe("m", totalMs: 100, firstTokenMs: 20) }
        var m = tracker.latencies.first!
        #expect(abs(m.p50Ms - 100) / 100 < 0.1 && abs(m.firstTokenP50Ms - 20) / 20 < 0.1)
        // The model slows down: within a few half-lives the median follows.
        clock.advance(300)
        for _ in 0..<100 { tracker.observe("m", totalMs: 1000) }
        m = tracker.latencies.first!
        #expect(abs(m.p50Ms - 1000) / 1000 < 0.1, "\(m.p50Ms)")
        #expect(m.samples > 99 && m.samples < 105, "the old answers weigh 1/32 now: \(m.samples)")
    }
}

/// A clock a test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 1000.0
    var now: Double { lock.lock(); defer { lock.unlock() }; return value }
    func advance(_ seconds: Double) { lock.lock(); value += seconds; lock.unlock() }
}
