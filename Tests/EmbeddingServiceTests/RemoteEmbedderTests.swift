import Foundation
import HTTPKit
import Logging
import RPC
import Testing
import UpstreamHTTP
import Wire
@testable import EmbeddingService

/// The remote embedder against a real HTTP server speaking OpenAI's /v1/embeddings JSON.
@Suite(.timeLimit(.minutes(1)))
struct RemoteEmbedderTests {
    /// Answers every text with the vector [len, 1, 0, 0], items in reverse order (clients must sort by index).
    static func embeddingsServer(dimension: Int = 4) -> HTTPServer {
        HTTPServer(logger: Logger(label: "fake-embeddings")) { request in
            guard request.path == "/v1/embeddings",
                  let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
                  let input = body["input"] as? [String]
            else { return HTTPResponse(status: .badRequest, text: "bad request") }
            let data = input.enumerated().reversed().map { index, text -> [String: Any] in
                var vector = [Double](repeating: 0, count: dimension)
                vector[0] = Double(text.count)
                vector[1] = 1
                return ["object": "embedding", "index": index, "embedding": vector]
            }
            let json: [String: Any] = ["object": "list", "data": data, "model": body["model"] ?? "", "usage": ["prompt_tokens": 1, "total_tokens": 1]]
            return HTTPResponse(contentType: "application/json", body: Array(try! JSONSerialization.data(withJSONObject: json)))
        }
    }

    @Test func embedsThroughTheEndpointInOrderAndNormalised() async throws {
        let server = Self.embeddingsServer()
        let address = try await server.start()
        let embedder = try RemoteEmbedder(
            endpoint: try HTTPEndpoint("http://127.0.0.1:\(address.port!)/v1"), model: "test-embed", dimension: 4, apiKey: "k")
        let vectors = try await embedder.embed(["abc", "a"])
        #expect(vectors.count == 2)
        #expect(abs(vectors[0].vector[0] - 3 / Float(10).squareRoot()) < 1e-6)
        #expect(abs(vectors[1].vector[0] - 1 / Float(2).squareRoot()) < 1e-6)
        #expect(embedder.name == "remote:test-embed")

        let wrongDimension = try RemoteEmbedder(
            endpoint: try HTTPEndpoint("http://127.0.0.1:\(address.port!)/v1"), model: "m", dimension: 8, apiKey: nil)
        let error = await #expect(throws: RPCError.self) { try await wrongDimension.embed(["x"]) }
        #expect(error?.code == .internal && error?.message.contains("4 dimensions, configured 8") == true)
        await server.shutdown()
    }

    @Test func aDeadEndpointIsUnavailable() async throws {
        let server = Self.embeddingsServer()
        let port = try await server.start().port!
        await server.shutdown()
        let embedder = try RemoteEmbedder(endpoint: try HTTPEndpoint("http://127.0.0.1:\(port)/v1"), model: "m", dimension: 4, apiKey: nil)
        let error = await #expect(throws: RPCError.self) { try await embedder.embed(["x"]) }
        #expect(error?.code == .unavailable)
    }
}
