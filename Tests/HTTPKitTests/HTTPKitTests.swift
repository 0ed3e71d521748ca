import Foundation
import HTTPKit
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UpstreamHTTP

@Suite struct HTTPEndpointTests {
    @Test func parsesHostPortAndBasePath() throws {
        let endpoint = try HTTPEndpoint("http://127.0.0.1:8000/v1/")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 8000 && endpoint.basePath == "/v1")
        #expect(try HTTPEndpoint("http://example.com").port == 80)
        let tls = try HTTPEndpoint("https://api.openai.com/v1")
        #expect(tls.isTLS && tls.port == 443 && tls.basePath == "/v1" && "\(tls)" == "https://api.openai.com:443/v1")
        #expect(try HTTPEndpoint("http://[::1]:8080").host == "::1")
    }

    @Test(arguments: ["ftp://host/v1", "127.0.0.1:80", "http://", "http://host:99999", "http://:80", "http://user@host/", "http://h/v1?x=1"])
    func rejectsWhatItCannotCall(url: String) {
        #expect(throws: HTTPError.badURL(url)) { try HTTPEndpoint(url) }
    }

    @Test func classifiesFailures() {
        #expect(HTTPError.timedOut("x", seconds: 1).isTimeout)
        #expect(HTTPError.status("x", code: 429, detail: "").isRateLimited)
        #expect(!HTTPError.status("x", code: 500, detail: "").isRateLimited)
        #expect(!HTTPError.connectFailed("x", "refused").isTimeout)
    }
}

/// The server and the client against each other on loopback.
@Suite(.timeLimit(.minutes(1))) struct HTTPRoundTripTests {
    func withServer(_ handler: @escaping HTTPServer.Handler, _ body: (HTTPEndpoint) async throws -> Void) async throws {
        let server = HTTPServer(logger: Logger(label: "test"), handler: handler)
        let address = try await server.start()
        let running = Task { try await server.run() }
        defer { running.cancel() }
        try await body(try HTTPEndpoint("http://127.0.0.1:\(address.port!)/v1"))
    }

    @Test func postsJSONAndReadsTheAnswer() async throws {
        try await withServer({ request in
            HTTPResponse(contentType: "application/json", text: "{\"path\": \"\(request.path)\", \"bytes\": \(request.body.count)}")
        }) { endpoint in
            let body = try await HTTPCaller(endpoint).postJSON("/echo", json: ["x": 1], apiKey: "k", timeout: .seconds(5))
            #expect(String(decoding: body, as: UTF8.self) == "{\"path\": \"/v1/echo\", \"bytes\": 7}")
        }
    }

    @Test func aStatusOtherThan200IsAnErrorWithTheBodysStart() async throws {
        try await withServer({ _ in HTTPResponse(status: .tooManyRequests, text: "slow down") }) { endpoint in
            await #expect(throws: HTTPError.status("\(endpoint)/x", code: 429, detail: "slow down")) {
                try await HTTPCaller(endpoint).postJSON("/x", json: [:], apiKey: nil, timeout: .seconds(5))
            }
        }
    }

    @Test func aServerThatDoesNotAnswerTimesOut() async throws {
        try await withServer({ _ in
            try? await Task.sleep(for: .seconds(30))
            return HTTPResponse(text: "late")
        }) { endpoint in
            let error = await #expect(throws: HTTPError.self) {
                try await HTTPCaller(endpoint).get("/slow", timeout: .milliseconds(200))
            }
            #expect(error?.isTimeout == true)
        }
    }

    @Test func aLargeAnswerIsCutOff() async throws {
        try await withServer({ _ in HTTPResponse(text: String(repeating: "x", count: 100_000)) }) { endpoint -> Void in
            await #expect(throws: HTTPError.responseTooLarge("\(endpoint)/big", limit: 1000)) {
                _ = try await HTTPCaller(endpoint).get("/big", timeout: .seconds(5), maxResponseBytes: 1000)
            }
        }
    }

    @Test func nobodyListeningIsAConnectFailure() async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPCaller(url: "http://127.0.0.1:1").get("/", timeout: .seconds(2))
        }
        guard case .connectFailed? = error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
    }

    @Test func aStreamedAnswerArrivesPieceByPieceAsItIsWritten() async throws {
        let gate = AsyncStream<Void>.makeStream()
        try await withServer({ _ in
            HTTPResponse { responder in
                try await responder.begin(headers: ["Content-Type": "text/event-stream"])
                try await responder.write(ByteBuffer(string: "data: 1\n\n"))
                // The second piece waits until the client has read the first.
                for await _ in gate.stream { break }
                try await responder.write(ByteBuffer(string: "data: 2\n\n"))
            }
        }) { endpoint in
            let reply = try await HTTPCaller(endpoint).postStreaming("/s", body: [], headTimeout: .seconds(5), streamTimeout: .seconds(10))
            #expect(reply.status == 200 && reply.headers.first(name: "content-type") == "text/event-stream")
            var pieces: [String] = []
            for try await piece in reply.body {
                pieces.append(String(buffer: piece))
                gate.continuation.yield()
            }
            #expect(pieces.joined() == "data: 1\n\ndata: 2\n\n")
            #expect(pieces.first == "data: 1\n\n", "the first piece came before the second was written")
        }
    }

    @Test func aStreamingHandlerMayStillAnswerWhole() async throws {
        try await withServer({ _ in
            HTTPResponse { responder in try await responder.respond(HTTPResponse(status: .badGateway, text: "no upstream")) }
        }) { endpoint in
            let reply = try await HTTPCaller(endpoint).post("/s", body: [], timeout: .seconds(5))
            #expect(reply.status == 502 && String(decoding: reply.body, as: UTF8.self) == "no upstream")
        }
    }

    @Test func aStreamThatStopsHalfwayIsAConnectionFailure() async throws {
        try await withServer({ _ in
            HTTPResponse { responder in
                try await responder.begin(headers: [:])
                try await responder.write(ByteBuffer(string: "data: 1\n\n"))
                throw CancellationError()
            }
        }) { endpoint in
            let reply = try await HTTPCaller(endpoint).postStreaming("/s", body: [], headTimeout: .seconds(5), streamTimeout: .seconds(10))
            var received = ""
            let error = await #expect(throws: HTTPError.self) {
                for try await piece in reply.body { received += String(buffer: piece) }
            }
            #expect(received == "data: 1\n\n")
            guard case .connectionClosed? = error else {
                Issue.record("expected connectionClosed, got \(String(describing: error))")
                return
            }
        }
    }

    @Test func aHeadOverTheParsersLimitIsRefused() async throws {
        try await withServer({ _ in HTTPResponse(text: "ok") }) { endpoint in
            let reply = try await HTTPCaller(endpoint).post(
                "/x", headers: [("X-Padding", String(repeating: "a", count: 100_000))], body: [], timeout: .seconds(5))
            #expect(reply.status == 400)
            let fine = try await HTTPCaller(endpoint).post("/x", body: [], timeout: .seconds(5))
            #expect(fine.status == 200, "the server goes on serving")
        }
    }

    @Test func shutdownWaitsForTheRequestInFlight() async throws {
        let started = AsyncStream<Void>.makeStream()
        let server = HTTPServer(logger: Logger(label: "test")) { _ in
            started.continuation.yield()
            try? await Task.sleep(for: .milliseconds(500))
            return HTTPResponse(text: "finished")
        }
        let address = try await server.start()
        let caller = try HTTPCaller(url: "http://127.0.0.1:\(address.port!)")
        let inFlight = Task { try await caller.post("/slow", body: [], timeout: .seconds(5)) }
        for await _ in started.stream { break }
        let shutdownStarted = ContinuousClock.now
        await server.shutdown()
        #expect(shutdownStarted.duration(to: .now) < .seconds(5), "shutdown ends when the last request is answered, not at its grace period")
        let reply = try await inFlight.value
        #expect(reply.status == 200 && String(decoding: reply.body, as: UTF8.self) == "finished")
        await #expect(throws: HTTPError.self) { try await caller.post("/again", body: [], timeout: .seconds(2)) }
    }
}

@Suite struct HTTPCallerTLSTests {
    @Test func aCAFileIsForHTTPSAndMustHoldCertificates() throws {
        #expect(throws: HTTPError.self) { try HTTPCaller(url: "http://127.0.0.1:1", caFile: "/dev/null") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID()).pem").path
        try "not a certificate".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: HTTPError.self) { try HTTPCaller(url: "https://127.0.0.1:1", caFile: file) }
        #expect(throws: HTTPError.self) { try HTTPCaller(url: "https://127.0.0.1:1", caFile: "/nonexistent/ca.pem") }
    }
}
