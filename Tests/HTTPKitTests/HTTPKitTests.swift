import HTTPKit
import Logging
import Testing

@Suite struct HTTPEndpointTests {
    @Test func parsesHostPortAndBasePath() throws {
        let endpoint = try HTTPEndpoint("http://127.0.0.1:8000/v1/")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 8000 && endpoint.basePath == "/v1")
        #expect(try HTTPEndpoint("http://example.com").port == 80)
    }

    @Test(arguments: ["https://api.openai.com/v1", "127.0.0.1:80", "http://", "http://host:99999", "http://:80"])
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
            let body = try await HTTPClient.postJSON(endpoint, path: "/echo", json: ["x": 1], apiKey: "k", timeout: .seconds(5))
            #expect(String(decoding: body, as: UTF8.self) == "{\"path\": \"/v1/echo\", \"bytes\": 7}")
        }
    }

    @Test func aStatusOtherThan200IsAnErrorWithTheBodysStart() async throws {
        try await withServer({ _ in HTTPResponse(status: .tooManyRequests, text: "slow down") }) { endpoint in
            await #expect(throws: HTTPError.status("\(endpoint)/x", code: 429, detail: "slow down")) {
                try await HTTPClient.postJSON(endpoint, path: "/x", json: [:], apiKey: nil, timeout: .seconds(5))
            }
        }
    }

    @Test func aServerThatDoesNotAnswerTimesOut() async throws {
        try await withServer({ _ in
            try? await Task.sleep(for: .seconds(30))
            return HTTPResponse(text: "late")
        }) { endpoint in
            let error = await #expect(throws: HTTPError.self) {
                try await HTTPClient.get(endpoint, path: "/slow", timeout: .milliseconds(200))
            }
            #expect(error?.isTimeout == true)
        }
    }

    @Test func aLargeAnswerIsCutOff() async throws {
        try await withServer({ _ in HTTPResponse(text: String(repeating: "x", count: 100_000)) }) { endpoint -> Void in
            await #expect(throws: HTTPError.responseTooLarge("\(endpoint)/big", limit: 1000)) {
                _ = try await HTTPClient.get(endpoint, path: "/big", timeout: .seconds(5), maxResponseBytes: 1000)
            }
        }
    }

    @Test func nobodyListeningIsAConnectFailure() async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.get(try HTTPEndpoint("http://127.0.0.1:1"), path: "/", timeout: .seconds(2))
        }
        guard case .connectFailed? = error else {
            Issue.record("expected connectFailed, got \(String(describing: error))")
            return
        }
    }
}
