import NIOPosix
import RouterCore

/// One text's embedding: a unit vector, and whether the text was cut to the embedder's input limit.
public struct Embedding: Sendable, Equatable {
    public var vector: [Float]
    public var truncated: Bool

    public init(vector: [Float], truncated: Bool = false) {
        self.vector = vector
        self.truncated = truncated
    }
}

/// Turns texts into unit vectors of a fixed dimension.
public protocol TextEmbedder: Sendable {
    /// The name reported in responses and matched by routers: "hash", "minilm", "remote:<model>".
    var name: String { get }
    /// Identifies the weights, e.g. "minilm-l6-v2@5f1c2a9d"; empty when the name says it all.
    var version: String { get }
    var dimension: Int { get }
    /// One embedding per text, in order. Throws an `RPCError` a caller can act on:
    /// DEADLINE_EXCEEDED rather than work for a caller who has stopped waiting at `deadline`.
    func embed(_ texts: [String], deadline: ContinuousClock.Instant?) async throws -> [Embedding]
}

extension TextEmbedder {
    public var version: String { "" }

    /// One embedding per text, however long it takes.
    public func embed(_ texts: [String]) async throws -> [Embedding] { try await embed(texts, deadline: nil) }
}

/// An embedder that computes in-process in microseconds, so small batches may run where the
/// request arrived.
public protocol LocalTextEmbedder: TextEmbedder {
    func embedNow(_ texts: [String]) -> [Embedding]
}

extension LocalTextEmbedder {
    /// Embeds on NIO's thread pool, off the event loops and the task executor (the work is too
    /// short to be worth abandoning at the deadline).
    public func embed(_ texts: [String], deadline: ContinuousClock.Instant?) async throws -> [Embedding] {
        try await NIOThreadPool.singleton.runIfActive { embedNow(texts) }
    }
}

extension HashEmbedder: LocalTextEmbedder {
    public var name: String { "hash" }
    public var dimension: Int { settings.dimension }
    public func embedNow(_ texts: [String]) -> [Embedding] { texts.map { Embedding(vector: embed($0)) } }
}
