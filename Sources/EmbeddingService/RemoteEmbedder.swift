import Foundation
import RPC
import RouterCore
import UpstreamHTTP
import Wire

/// Embeds through any OpenAI-compatible `POST {base}/embeddings` endpoint (OpenAI, vLLM, Ollama,
/// LiteLLM, text-embeddings-inference).
///
/// Upstream failures become UNAVAILABLE (the endpoint is down or answered an error) or
/// DEADLINE_EXCEEDED; an answer of the wrong shape or dimension is INTERNAL, naming what was wrong.
public struct RemoteEmbedder: TextEmbedder {
    let caller: HTTPCaller
    /// The `model` field sent upstream.
    public let model: String
    public let dimension: Int
    /// Sent as `Authorization: Bearer …` when set.
    let apiKey: String?
    let timeout: Duration

    /// - Parameter caFile: PEM CA certificates for a private https endpoint; nil trusts the system's store.
    public init(
        endpoint: HTTPEndpoint, model: String, dimension: Int, apiKey: String?, timeout: Duration = .seconds(10), caFile: String? = nil
    ) throws {
        caller = try HTTPCaller(endpoint, caFile: caFile)
        self.model = model
        self.dimension = dimension
        self.apiKey = apiKey
        self.timeout = timeout
    }

    public var endpoint: HTTPEndpoint { caller.endpoint }

    public var name: String { "remote:\(model)" }

    /// Asks the endpoint, waiting `timeout` at most, and no longer than `deadline`.
    public func embed(_ texts: [String], deadline: ContinuousClock.Instant?) async throws -> [Embedding] {
        let body: [UInt8]
        let wait = deadline.map { min(timeout, ContinuousClock.now.duration(to: $0)) } ?? timeout
        guard wait > .zero else { throw RPCError(.deadlineExceeded, "remote embedder \(endpoint): the deadline passed before the call") }
        do {
            body = try await caller.postJSON("/embeddings", json: ["model": model, "input": texts], apiKey: apiKey, timeout: wait)
        } catch {
            let code: StatusCode = error.isTimeout ? .deadlineExceeded : error.isRateLimited ? .resourceExhausted : .unavailable
            throw RPCError(code, "remote embedder \(endpoint): \(error)", cause: error)
        }
        return try decode(body, count: texts.count).map { Embedding(vector: $0) }
    }

    /// The vectors of an embeddings response, ordered by `index`, each scaled to unit length.
    func decode(_ body: [UInt8], count: Int) throws -> [[Float]] {
        func bad(_ why: String) -> RPCError { RPCError(.internal, "remote embedder \(endpoint): \(why)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let data = object["data"] as? [[String: Any]]
        else { throw bad("the answer is not an embeddings response (no \"data\" list)") }
        guard data.count == count else { throw bad("\(data.count) embeddings for \(count) texts") }
        var vectors = [[Float]](repeating: [], count: count)
        for (position, item) in data.enumerated() {
            let index = (item["index"] as? Int) ?? position
            guard vectors.indices.contains(index), vectors[index].isEmpty else { throw bad("bad or repeated index \(index)") }
            guard let values = item["embedding"] as? [NSNumber] else { throw bad("item \(index) has no numeric \"embedding\"") }
            guard values.count == dimension else { throw bad("\(values.count) dimensions, configured \(dimension)") }
            var vector = values.map { $0.floatValue }
            guard vector.allSatisfy(\.isFinite) else { throw bad("item \(index) has a non-finite value") }
            Vectors.normalize(&vector)
            vectors[index] = vector
        }
        return vectors
    }
}
