import NIOPosix
import RPC
import RouterCore
import Wire

/// Turns a prompt into the vector a router model expects.
public protocol PromptEmbedder: Sendable {
    /// Where vectors come from, for logs and Status: "embed@host:port" or "in-process hash".
    var source: String { get }
    /// The vector of `prompt` from the embedder `spec` describes; `timeout` bounds the wait.
    func embed(_ prompt: String, for spec: EmbedderSpec, timeout: Duration) async throws -> PromptVector
    /// The vector of `prompt` when it can be made right here without waiting on anything (no I/O,
    /// a few tens of microseconds of work); nil when `embed` must be awaited instead.
    func embedAtOnce(_ prompt: String, for spec: EmbedderSpec) throws -> PromptVector?
}

extension PromptEmbedder {
    /// Nil: the vector has to be awaited.
    public func embedAtOnce(_ prompt: String, for spec: EmbedderSpec) throws -> PromptVector? { nil }
}

/// A prompt's vector, and why it came from a fallback embedder when it did.
public struct PromptVector: Sendable {
    public var values: [Float]
    /// Nil when the configured embedder made it; otherwise what went wrong and what embedded it
    /// instead (sent back in RouteResponse.embedding_fallback).
    public var fallback: String?

    public init(_ values: [Float], fallback: String? = nil) {
        self.values = values
        self.fallback = fallback
    }
}

/// Embeds through the embedding service over the client's pooled, pipelined connections.
///
/// The service down or unreachable is UNAVAILABLE; a service whose embedder or dimension differs
/// from the router model's is FAILED_PRECONDITION (routing on such a vector would be silently wrong).
public struct EmbeddingServiceClient: PromptEmbedder {
    public let client: any RPCCaller

    public init(client: any RPCCaller) {
        self.client = client
    }

    public var source: String { "embed@\(client.target)" }

    public func embed(_ prompt: String, for spec: EmbedderSpec, timeout: Duration) async throws -> PromptVector {
        let response: EmbedResponse
        do {
            response = try await client.call(Methods.embed, EmbedRequest(texts: [prompt]), timeout: timeout)
        } catch let error as RPCError {
            let code: StatusCode = error.code == .deadlineExceeded ? .deadlineExceeded : .unavailable
            throw RPCError(code, "embedding service \(client.target): \(error.message)")
        }
        let sameWeights = (spec.version ?? "").isEmpty || response.embedderVersion.isEmpty || spec.version == response.embedderVersion
        guard response.embedder == spec.kind, Int(response.dimension) == spec.dimension, sameWeights else {
            throw RPCError(
                .failedPrecondition,
                "embedding service \(client.target) embeds with \(response.embedder):\(response.dimension) \(response.embedderVersion), "
                    + "the router file was trained with \(spec.kind):\(spec.dimension) \(spec.version ?? "")")
        }
        guard response.vectors.count == 1, response.vectors[0].values.count == spec.dimension else {
            throw RPCError(.internal, "embedding service \(client.target) answered \(response.vectors.count) vectors of the wrong size")
        }
        return PromptVector(response.vectors[0].values)
    }
}

/// Embeds in-process with the hash embedder the router model was trained with: a router that
/// needs no embedding service (and the baseline the service's cost is measured against).
///
/// A prompt of up to `inlineCharacters` is embedded where the request arrived (tens of
/// microseconds); a longer one on NIO's thread pool, so it cannot stall an event loop.
public struct InProcessHashEmbedder: PromptEmbedder {
    public let inlineCharacters: Int

    public init(inlineCharacters: Int = 8192) { self.inlineCharacters = inlineCharacters }

    public var source: String { "in-process hash" }

    public func embed(_ prompt: String, for spec: EmbedderSpec, timeout: Duration) async throws -> PromptVector {
        if let vector = try embedAtOnce(prompt, for: spec) { return vector }
        let embedder = try Self.embedder(for: spec)
        return PromptVector(try await NIOThreadPool.singleton.runIfActive { embedder.embed(prompt) })
    }

    /// The vector of a prompt of up to `inlineCharacters`; nil for a longer one.
    public func embedAtOnce(_ prompt: String, for spec: EmbedderSpec) throws -> PromptVector? {
        let embedder = try Self.embedder(for: spec)
        return prompt.utf8.count <= inlineCharacters ? PromptVector(embedder.embed(prompt)) : nil
    }

    /// The hash embedder `spec` describes; FAILED_PRECONDITION when the router model needs another.
    private static func embedder(for spec: EmbedderSpec) throws -> HashEmbedder {
        guard spec.kind == "hash" else {
            throw RPCError(.failedPrecondition, "the router model needs the \(spec.kind) embedder; start the router with --embed-address")
        }
        return HashEmbedder(settings: spec.hash ?? .init(dimension: spec.dimension))
    }
}
