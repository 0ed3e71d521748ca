import NIOPosix
import RouterCore

/// Turns texts into unit vectors of a fixed dimension.
public protocol TextEmbedder: Sendable {
    /// The name reported in responses and matched by routers, e.g. "hash" or "remote:text-embedding-3-small".
    var name: String { get }
    var dimension: Int { get }
    /// One vector per text, in order. Throws an `RPCError` a caller can act on.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// An embedder that computes in-process without waiting, so small batches may run on the event loop.
public protocol LocalTextEmbedder: TextEmbedder {
    func embedNow(_ texts: [String]) -> [[Float]]
}

extension LocalTextEmbedder {
    /// Embeds on NIO's thread pool, off the event loops and the task executor.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await NIOThreadPool.singleton.runIfActive { embedNow(texts) }
    }
}

extension HashEmbedder: LocalTextEmbedder {
    public var name: String { "hash" }
    public var dimension: Int { settings.dimension }
    public func embedNow(_ texts: [String]) -> [[Float]] { texts.map(embed) }
}
