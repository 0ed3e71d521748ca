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

/// The front door called in process as an SDK calls it over HTTP, its answers (streams included)
/// recorded in memory as a client would receive them (`HTTPResponse.recorded`): no socket.
struct FrontDoorUnderTest {
    let door: OpenAIFrontDoor
    var ledger: CostLedger { door.complete.ledger }

    init(_ upstreams: [any Upstream], router: (any RPCCaller)? = nil, keys: FrontDoorKeys? = nil, ledger: CostLedger = CostLedger()) {
        door = OpenAIFrontDoor(
            complete: CompleteHandler(upstreams: upstreams, router: router, ledger: ledger), keys: keys, logger: Logger(label: "test"))
    }

    init(door: OpenAIFrontDoor) { self.door = door }

    /// POSTs `json` to /v1/chat/completions; with `clientLeavesAfter`, the client closes the
    /// connection after receiving that many pieces of a stream.
    func post(_ json: [String: Any], key: String? = nil, clientLeavesAfter pieces: Int? = nil) async throws -> HTTPResponseRecorder.Recording {
        try await send(json: json, to: "/v1/chat/completions", key: key, clientLeavesAfter: pieces)
    }

    /// POSTs `json` to /v1/feedback.
    func feedback(_ json: [String: Any], key: String? = nil) async throws -> HTTPResponseRecorder.Recording {
        try await send(json: json, to: "/v1/feedback", key: key)
    }

    /// POSTs `json` to `path`.
    func send(json: Any, to path: String, key: String? = nil, clientLeavesAfter pieces: Int? = nil) async throws -> HTTPResponseRecorder.Recording {
        let body = Array(try JSONSerialization.data(withJSONObject: json))
        return await send(HTTPRequest(method: .POST, uri: path, headers: headers(key), body: body), clientLeavesAfter: pieces)
    }

    func get(_ path: String, key: String? = nil) async -> HTTPResponseRecorder.Recording {
        await send(HTTPRequest(method: .GET, uri: path, headers: headers(key)))
    }

    private func send(_ request: HTTPRequest, clientLeavesAfter pieces: Int? = nil) async -> HTTPResponseRecorder.Recording {
        await door.handle(request).recorded(clientLeavesAfter: pieces)
    }

    private func headers(_ key: String?) -> HTTPHeaders {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        return headers
    }

    /// The `data:` payloads of a server-sent event stream, parsed (`[DONE]` as the string).
    static func events(_ body: String) -> [Any] {
        body.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { line -> Any in
            let payload = line.dropFirst("data: ".count)
            return (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) ?? String(payload)
        }
    }
}

extension HTTPResponseRecorder.Recording {
    var code: UInt { status.code }
}

/// An OpenAI-compatible upstream in this process that streams `pieces` (each once `gate`, when
/// given, lets one through), then ends or breaks; it records whether the gateway gave its stream
/// up before the end (the client left) and whether it is still streaming.
final class StreamingUpstream: Upstream {
    let configuration: UpstreamConfiguration
    let pieces: [String]
    let thenBreak: Bool
    let refusal: StatusCode?
    let gate: Gate?
    private let state = Mutex((calls: 0, abandoned: 0, open: 0))

    /// Lets pieces through one at a time, or all.
    final class Gate: Sendable {
        let stream: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded) }
        func pass(_ count: Int = 1) { for _ in 0..<count { continuation.yield() } }
        func openForGood() { continuation.finish() }
    }

    init(_ name: String, pieces: [String], thenBreak: Bool = false, refusal: StatusCode? = nil, gate: Gate? = nil,
         inputPerMillion: Double = 1, outputPerMillion: Double = 2) {
        configuration = UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://unused", inputPerMillion: inputPerMillion,
            outputPerMillion: outputPerMillion, timeoutSeconds: 5)
        self.pieces = pieces
        self.thenBreak = thenBreak
        self.refusal = refusal
        self.gate = gate
    }

    var calls: Int { state.withLock { $0.calls } }
    /// Streams the gateway stopped reading before their end.
    var abandoned: Int { state.withLock { $0.abandoned } }
    /// Streams still producing.
    var open: Int { state.withLock { $0.open } }

    func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        state.withLock { $0.calls += 1 }
        if let refusal { throw RPCError(refusal, "\(configuration.name) refuses") }
        return UpstreamAnswer(text: pieces.joined(), inputTokens: 1000, outputTokens: 500, tokensEstimated: false)
    }

    func chatStream(_ request: ChatRequest, timeout: Duration) async throws -> ChatEventStream {
        state.withLock { $0.calls += 1 }
        if let refusal { throw RPCError(refusal, "\(configuration.name) refuses") }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        state.withLock { $0.open += 1 }
        continuation.onTermination = { [self] termination in
            state.withLock { state in
                state.open -= 1
                if case .cancelled = termination { state.abandoned += 1 }
            }
        }
        let (pieces, gate, thenBreak) = (self.pieces, self.gate, self.thenBreak)
        Task {
            var passes = gate?.stream.makeAsyncIterator()
            for piece in pieces {
                if passes != nil { _ = await passes!.next() }
                if case .terminated = continuation.yield(ByteBuffer(string: piece)) { return }
            }
            continuation.finish(throwing: thenBreak ? RPCError(.unavailable, "the upstream's connection broke") : nil)
        }
        return ChatEventStream(stream)
    }
}

func chunk(_ content: String) -> String {
    #"data: {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "\#(content)"}}]}"# + "\n\n"
}

func usageChunk(input: Int, output: Int) -> String {
    #"data: {"object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": \#(input), "completion_tokens": \#(output)}}"# + "\n\n"
}

@Suite(.timeLimit(.minutes(1))) struct FrontDoorStreamingTests {
    let user = [["role": "user", "content": "stream me"]]

    @Test func aStreamIsRelayedPieceByPieceAndItsUsageBooked() async throws {
        let pieces = [chunk("Hel"), chunk("lo"), usageChunk(input: 7, output: 3), "data: [DONE]\n\n"]
        let door = FrontDoorUnderTest([StreamingUpstream("m", pieces: pieces)])
        let reply = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(reply.code == 200 && reply.streamed && reply.headers.first(name: "content-type") == "text/event-stream")
        #expect(reply.headers.first(name: "x-switchyard-model") == "m")
        #expect(reply.pieces.prefix(4).map { String(buffer: $0) } == pieces, "each upstream piece relayed as it came")
        // 7 input tokens at $1/M and 3 output at $2/M, booked from the usage chunk.
        #expect(reply.text.hasSuffix(": switchyard-cost-usd=0.00001300\n\n"))
        #expect(abs(door.ledger.status.totalCostUSD - 13e-6) < 1e-12)
    }

    @Test func anUpstreamThatDoesNotStreamIsStreamedAsOpenAIWouldAndFallbackHappensBeforeTheFirstEvent() async throws {
        let door = FrontDoorUnderTest(
            [ScriptedUpstream("first", .fail(.unavailable)), ScriptedUpstream("second")], router: fakeRouter(["first", "second"]))
        let reply = try await door.post([
            "model": "auto", "messages": user, "stream": true, "stream_options": ["include_usage": true],
        ])
        #expect(reply.code == 200)
        #expect(reply.headers.first(name: "x-switchyard-model") == "second")
        #expect(reply.headers.first(name: "x-switchyard-fallbacks") == "first UNAVAILABLE")
        let events = FrontDoorUnderTest.events(reply.text)
        #expect(events.last as? String == "[DONE]")
        let chunks = events.compactMap { $0 as? [String: Any] }
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let text = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == "second: stream me")
        #expect((chunks.last?["usage"] as? [String: Any])?["completion_tokens"] as? Int == 500)
    }

    @Test func aStreamThatBreaksHalfwayEndsWithAnErrorEventAndTheGatewayGoesOnServing() async throws {
        let door = FrontDoorUnderTest([StreamingUpstream("m", pieces: [chunk("partial")], thenBreak: true)])
        let reply = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(reply.code == 200, "the status was sent with the first event")
        let events = FrontDoorUnderTest.events(reply.text)
        #expect(events.count == 2)
        let error = (events.last as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "stream_broken" && error?["type"] as? String == "upstream_error")
        #expect(door.ledger.status.models.first?.failures == 1)
        // Booked from what was streamed: "partial" is 7 characters, 1 token estimated.
        #expect(reply.text.contains("tokens-estimated"))
        #expect(try await door.post(["model": "m", "messages": user, "stream": true]).code == 200)
    }

    @Test func aStreamRefusedByEveryUpstreamIsAnOpenAIErrorNotAStream() async throws {
        let door = FrontDoorUnderTest([StreamingUpstream("m", pieces: [], refusal: .resourceExhausted)])
        let reply = try await door.post(["model": "m", "messages": user, "stream": true])
        #expect(reply.code == 502 && !reply.streamed && reply.headers.first(name: "content-type") == "application/json")
        #expect(reply.text.contains("RESOURCE_EXHAUSTED") && reply.text.contains("\"type\":\"upstream_error\""))
    }

    /// The client closes the connection after two pieces: the gateway stops reading the
    /// upstream's stream (which is cancelled, not left running) and books what it received.
    @Test func aClientThatLeavesHalfwayCancelsTheUpstreamAndThePartialCostIsBooked() async throws {
        let pieces = (0..<50).map { chunk(String(repeating: "w", count: 40 + $0)) }
        let gate = StreamingUpstream.Gate()
        let upstream = StreamingUpstream("m", pieces: pieces, gate: gate, inputPerMillion: 1000, outputPerMillion: 1000)
        let door = FrontDoorUnderTest([upstream])
        gate.pass(3)  // the upstream produces three pieces, then waits
        let reply = try await door.post(["model": "m", "messages": user, "stream": true], clientLeavesAfter: 2)
        #expect(reply.clientLeft && reply.pieces.count == 2)
        try await eventuallyTrue { upstream.open == 0 }
        #expect(upstream.abandoned == 1, "the upstream's stream was cancelled when the client left")
        // The gateway received three pieces of 40, 41 and 42 characters (the third found the
        // client gone): 30 output tokens estimated, plus the prompt's 2 input tokens ("stream me",
        // 9 characters / 4): $0.032 at $1000/M each, not the whole answer's cost.
        let booked = door.ledger.status.totalCostUSD
        #expect(abs(booked - 32e-3) < 1e-9, "booked \(booked)")
        gate.openForGood()
    }
}

/// An OpenAI-compatible upstream over loopback HTTP (the upstream side is HTTP by nature): the
/// front door relays a real upstream's stream through `OpenAIUpstream`, and a client that leaves
/// makes the gateway close that upstream request.
@Suite(.timeLimit(.minutes(1))) struct FrontDoorHTTPUpstreamTests {
    final class SlowStreamingServer: Sendable {
        /// How far the upstream got: pieces written, and whether it stopped (ended, or a write
        /// found the gateway gone).
        final class Progress: Sendable {
            let state = Mutex((written: 0, stopped: false))
            var written: Int { state.withLock { $0.written } }
            var stopped: Bool { state.withLock { $0.stopped } }
        }

        let server: HTTPServer
        let progress = Progress()

        init(pieces: [String]) {
            let progress = self.progress
            server = HTTPServer(logger: Logger(label: "fake")) { _ in
                HTTPResponse { responder in
                    try await responder.begin(headers: ["Content-Type": "text/event-stream"])
                    defer { progress.state.withLock { $0.stopped = true } }
                    for piece in pieces {
                        try await responder.write(ByteBuffer(string: piece))
                        progress.state.withLock { $0.written += 1 }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }

        func upstream(_ name: String) async throws -> OpenAIUpstream {
            let port = try await server.start().port!
            return try OpenAIUpstream(UpstreamConfiguration(
                name: name, kind: .openai, baseURL: "http://127.0.0.1:\(port)/v1", inputPerMillion: 1, outputPerMillion: 2, timeoutSeconds: 5))
        }
    }

    @Test func aRealUpstreamsStreamIsRelayedAndStoppedWhenTheClientLeaves() async throws {
        let pieces = [chunk("Hel"), chunk("lo"), usageChunk(input: 7, output: 3), "data: [DONE]\n\n"]
        let whole = SlowStreamingServer(pieces: pieces)
        let door = FrontDoorUnderTest([try await whole.upstream("m")])
        let reply = try await door.post(["model": "m", "messages": [["role": "user", "content": "q"]], "stream": true])
        #expect(reply.text.hasPrefix(pieces.joined()), "the upstream's bytes come through unchanged")
        #expect(reply.text.contains(": switchyard-cost-usd=0.00001300\n"))
        await whole.server.shutdown()

        let long = SlowStreamingServer(pieces: (0..<500).map { chunk("piece \($0)") })
        let leaving = FrontDoorUnderTest([try await long.upstream("m")])
        let left = try await leaving.post(["model": "m", "messages": [["role": "user", "content": "q"]], "stream": true], clientLeavesAfter: 2)
        #expect(left.clientLeft)
        try await eventuallyTrue { long.progress.stopped }
        #expect(long.progress.written < 100, "the upstream stopped streaming soon after the client left")
        await long.server.shutdown()
    }
}

/// An upstream's 4xx refusal comes back to the caller with its status and body as they came, for
/// whole and streamed requests alike; 429 still falls back to the next model.
@Suite(.timeLimit(.minutes(1))) struct UpstreamRefusalTests {
    /// An OpenAI-compatible upstream on loopback answering every request with `status`.
    static func refusingUpstream(_ name: String, status: HTTPResponseStatus) async throws -> (HTTPServer, OpenAIUpstream) {
        let body = #"{"error": {"message": "upstream says \#(status.code)", "type": "invalid_request_error", "param": "messages", "code": "x\#(status.code)"}}"#
        let server = HTTPServer(logger: Logger(label: "fake")) { _ in HTTPResponse(status: status, contentType: "application/json", text: body) }
        let port = try await server.start().port!
        let upstream = try OpenAIUpstream(UpstreamConfiguration(
            name: name, kind: .openai, baseURL: "http://127.0.0.1:\(port)/v1", inputPerMillion: 1, outputPerMillion: 2, timeoutSeconds: 5))
        return (server, upstream)
    }

    @Test(arguments: [HTTPResponseStatus.unauthorized, .forbidden, .notFound, .unprocessableEntity, .badRequest], [false, true])
    func aFourHundredIsReturnedAsTheUpstreamAnsweredIt(status: HTTPResponseStatus, stream: Bool) async throws {
        let (server, refusing) = try await Self.refusingUpstream("refusing", status: status)
        let next = ScriptedUpstream("next")
        let door = FrontDoorUnderTest([refusing, next], router: fakeRouter(["refusing", "next"]))
        let reply = try await door.post(["model": "auto", "messages": [["role": "user", "content": "q"]], "stream": stream])
        #expect(reply.code == status.code)
        #expect(reply.headers.first(name: "content-type") == "application/json")
        #expect(reply.text.contains("upstream says \(status.code)") && reply.text.contains("\"code\": \"x\(status.code)\""))
        #expect(next.calls == 0, "a 4xx is the request's fault: no other model is tried")
        await server.shutdown()
    }

    @Test func aTooManyRequestsFallsBackToTheNextModel() async throws {
        let (server, busy) = try await Self.refusingUpstream("busy", status: .tooManyRequests)
        let door = FrontDoorUnderTest([busy, ScriptedUpstream("next")], router: fakeRouter(["busy", "next"]))
        let reply = try await door.post(["model": "auto", "messages": [["role": "user", "content": "q"]]])
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-model") == "next")
        await server.shutdown()
    }

    @Test func completeAnswersTheStatusOfTheSameMeaning() async throws {
        let (server, refusing) = try await Self.refusingUpstream("refusing", status: .notFound)
        var handlers = RPCHandlers()
        CompleteHandler(upstreams: [refusing], router: nil).register(in: &handlers)
        let error = await #expect(throws: RPCError.self) {
            try await InProcessCaller(handlers).call(Methods.complete, CompleteRequest(prompt: "q", model: "refusing"))
        }
        #expect(error?.code == .notFound && error?.message.contains("HTTP 404") == true)
        await server.shutdown()
    }
}

@Suite(.timeLimit(.minutes(1))) struct FrontDoorKeyTests {
    let user = [["role": "user", "content": "q"]]
    let keys = try! FrontDoorKeys(keys: [
        .init(name: "team-a", key: "sk-team-a-0123456789", dailyBudgetUSD: 0.04),
        .init(name: "unlimited", key: "sk-unlimited-012345"),
    ])

    @Test func requestsNeedAKnownBearerKey() async throws {
        let door = FrontDoorUnderTest([ScriptedUpstream("a")], keys: keys)
        for key in [nil, "sk-wrong-0123456789", "sk-team-a-012345678"] {
            let reply = try await door.post(["model": "a", "messages": user], key: key)
            #expect(reply.code == 401 && reply.text.contains("invalid_api_key"), "key \(key ?? "none")")
        }
        #expect(await door.get("/v1/models").code == 401)
        let reply = try await door.post(["model": "a", "messages": user], key: "sk-unlimited-012345")
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-key") == "unlimited")
        #expect(reply.headers.first(name: "x-switchyard-budget-left-usd") == nil)
    }

    /// Each ScriptedUpstream answer is 1000 input and 500 output tokens: $0.002 from "cheap"
    /// ($1/M, $2/M), $0.025 from "dear" ($10/M, $30/M).
    @Test func aDailyBudgetRoutesToTheBestModelThatFitsThenRefusesAndRenewsNextDay() async throws {
        let day = Mutex(20_000)
        let ledger = CostLedger(today: { day.withLock { $0 } })
        let dear = ScriptedUpstream("dear", inputPerMillion: 10, outputPerMillion: 30)
        let cheap = ScriptedUpstream("cheap")
        let router = fakeRouter(["dear", "cheap"], predictedCosts: ["dear": 0.025, "cheap": 0.002])
        let door = FrontDoorUnderTest([dear, cheap], router: router, keys: keys, ledger: ledger)
        let key = "sk-team-a-0123456789"

        var reply = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-model") == "dear")
        // What is left after this answer's $0.025.
        #expect(reply.headers.first(name: "x-switchyard-budget-left-usd") == "0.01500000")
        // $0.015 left: the router's first choice would cost $0.025, so the next-best that fits answers.
        reply = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-model") == "cheap")
        #expect(dear.calls == 1)
        // A named model whose estimated cost does not fit is refused before it is called.
        let named = try await door.post(["model": "dear", "messages": user, "max_tokens": 2000], key: key)
        #expect(named.code == 429 && named.text.contains("insufficient_quota") && named.text.contains("does not fit"))
        // Retrying will not help before tomorrow: the SDKs are told not to.
        #expect(named.headers.first(name: "x-should-retry") == "false")
        // Spend the rest: $0.013 left, then $0.011, ... until nothing fits.
        var answered = 2
        while true {
            let reply = try await door.post(["model": "auto", "messages": user], key: key)
            if reply.code != 200 {
                #expect(reply.code == 429 && reply.text.contains("insufficient_quota") && reply.text.contains("team-a"))
                break
            }
            answered += 1
            #expect(answered < 30)
        }
        #expect(ledger.spentToday(by: "team-a") <= 0.04 + 1e-12)
        #expect(answered == 2 + 6, "$0.04 - $0.025 - $0.002 = $0.013 pays for 6 more cheap answers")
        // Other keys are not affected, and the next UTC day the budget is whole again.
        #expect(try await door.post(["model": "auto", "messages": user], key: "sk-unlimited-012345").code == 200)
        day.withLock { $0 += 1 }
        reply = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-model") == "dear")
    }

    /// A request in flight holds the most it can cost: a second request of the same key, sent
    /// while the first waits on its upstream, cannot also count on that money.
    @Test func requestsInFlightHoldTheMostTheyCanCostFromTheBudget() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let dear = GatedUpstream("dear", inputPerMillion: 10, outputPerMillion: 30, gate: gate.stream)
        let router = fakeRouter(["dear", "cheap"], predictedCosts: ["dear": 0.025, "cheap": 0.002])
        let door = FrontDoorUnderTest([dear, ScriptedUpstream("cheap")], router: router, keys: keys)
        let key = "sk-team-a-0123456789"
        let first = Task { try await door.post(["model": "auto", "messages": user], key: key) }
        try await eventuallyTrue { dear.calls == 1 }
        // The first holds what 1024 output tokens (the cap it was sent with) and its body's bytes
        // as input tokens cost on dear, over $0.0307: dear does not fit while it runs.
        let reply = try await door.post(["model": "auto", "messages": user], key: key)
        #expect(reply.code == 200 && reply.headers.first(name: "x-switchyard-model") == "cheap")
        let left = Double(reply.headers.first(name: "x-switchyard-budget-left-usd") ?? "") ?? -1
        #expect(left > 0.04 - 0.0315 - 0.002 && left < 0.04 - 0.03072 - 0.002, "\(left)")
        gate.continuation.finish()
        let answered = try await first.value
        #expect(answered.code == 200 && answered.headers.first(name: "x-switchyard-model") == "dear")
        // Held money is given back once each request has booked its real cost.
        #expect(abs(door.ledger.left(for: "team-a", budget: 0.04) - (0.04 - 0.025 - 0.002)) < 1e-12)
    }

    /// Twelve streamed requests of one key at once, against an upstream that lets their pieces
    /// through only when the test says, one of them failing upstream and one whose client leaves
    /// halfway: at every moment spent + held stays within the budget, the key's spend never
    /// passes it, the refused ones are refused before any upstream call, and once all are done
    /// nothing is held.
    @Test func concurrentStreamsOfOneKeyNeverSpendPastItsBudgetAndReleaseEveryHold() async throws {
        let budget = 0.05
        let keys = try FrontDoorKeys(keys: [.init(name: "team", key: "sk-team-0123456789ab", dailyBudgetUSD: budget)])
        let key = "sk-team-0123456789ab"
        let gate = StreamingUpstream.Gate()
        // Each stream: two pieces and a usage chunk of 1000 + 500 tokens: $0.008 at $2/M in, $12/M out.
        let pieces = [chunk("a"), chunk("b"), usageChunk(input: 1000, output: 500), "data: [DONE]\n\n"]
        let streaming = StreamingUpstream("stream", pieces: pieces, gate: gate, inputPerMillion: 2, outputPerMillion: 12)
        let failing = StreamingUpstream("failing", pieces: [], refusal: .unavailable, inputPerMillion: 2, outputPerMillion: 12)
        let router = fakeRouter(["stream"], predictedCosts: ["stream": 0.008])
        let door = FrontDoorUnderTest([streaming, failing], router: router, keys: keys)

        var requests: [Task<HTTPResponseRecorder.Recording, any Error>] = []
        for i in 0..<12 {
            let model = i == 3 ? "failing" : "auto"
            let leaves: Int? = i == 5 ? 1 : nil
            requests.append(Task {
                // 1000 bytes and more: the most it can cost covers the 1000 input tokens the upstream reports.
                let content = "q\(i) " + String(repeating: "x", count: 1000)
                return try await door.post(["model": model, "messages": [["role": "user", "content": content]], "stream": true, "max_tokens": 500],
                                    key: key, clientLeavesAfter: leaves)
            })
        }
        // Let the pieces through a few at a time, checking the books between.
        for _ in 0..<40 {
            let spent = door.ledger.spentToday(by: "team"), left = door.ledger.left(for: "team", budget: budget)
            #expect(spent <= budget + 1e-12 && left >= -1e-12, "spent \(spent), left \(left)")
            gate.pass(3)
            try await Task.sleep(for: .milliseconds(2))
        }
        gate.openForGood()
        var replies: [HTTPResponseRecorder.Recording] = []
        for request in requests { replies.append(try await request.value) }
        let codes = replies.map(\.code)
        // $0.05 holds six streams of $0.0082 at most at once (five beside the failing request's);
        // one may start later on what the leaving client did not spend.
        let answered = codes.enumerated().filter { $0.offset != 3 && $0.element == 200 }.count
        #expect((5...7).contains(answered), "\(codes)")
        #expect(codes.allSatisfy { [200, 429].contains($0) || $0 == 502 }, "\(codes)")
        #expect(codes[3] != 200, "the failing upstream answered nothing")
        #expect(replies[5].code != 200 || replies[5].clientLeft)
        #expect(replies.filter { $0.code == 200 && !$0.clientLeft }.allSatisfy { $0.text.contains(" switchyard-budget-left-usd=") })
        #expect(streaming.calls == answered, "a request refused for the budget calls no upstream")
        try await eventuallyTrue { streaming.open == 0 }
        let spent = door.ledger.spentToday(by: "team")
        #expect(spent <= budget + 1e-12)
        #expect(abs(door.ledger.left(for: "team", budget: budget) - (budget - spent)) < 1e-12, "every hold was released")
    }

    /// A request of a key with a budget that sets no max_tokens is sent with the cap, so what it
    /// can cost is bounded; one that sets its own, or of a key without a budget, goes as it came.
    @Test func aBudgetedRequestWithoutMaxTokensIsSentWithTheCap() async throws {
        let upstream = ScriptedUpstream("a")
        let door = FrontDoorUnderTest(door: OpenAIFrontDoor(
            complete: CompleteHandler(upstreams: [upstream], router: nil), keys: keys, budgetOutputTokens: 300, logger: Logger(label: "test")))
        #expect(try await door.post(["model": "a", "messages": user], key: "sk-team-a-0123456789").code == 200)
        #expect(try await door.post(["model": "a", "messages": user, "max_tokens": 40], key: "sk-team-a-0123456789").code == 200)
        #expect(try await door.post(["model": "a", "messages": user], key: "sk-unlimited-012345").code == 200)
        #expect(upstream.maxTokens == [300, 40, 0])
        let capped = try ChatRequest(body: Array(#"{"model":"a","messages":[{"role":"user","content":"q"}],"n":2}"#.utf8)).cappingOutput(at: 300)
        #expect(capped.maxTokens == 300 && String(decoding: capped.body, as: UTF8.self).hasPrefix(#"{"max_tokens":300,"model""#))
        #expect(abs(capped.mostCost(on: upstream.configuration) - (Double(capped.body.count) * 1 + 600 * 2) / 1e6) < 1e-15)
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

/// Waits until `condition` holds (the suite's time limit bounds it): for state a test can
/// observe, never for time to pass.
func eventuallyTrue(_ condition: () -> Bool) async throws {
    while !condition() { try await Task.sleep(for: .milliseconds(2)) }
}
