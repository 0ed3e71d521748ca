import RouterCore
import RPC
import Wire

/// The Embed method: texts in, one unit vector per text out, through an LRU cache of recent
/// prompts. Small batches are answered on the event loop; larger ones run as a task so a big
/// batch cannot stall the connections sharing the loop.
public struct EmbedHandler: Sendable {
    public let embedder: HashEmbedder
    public let cache: LRUCache<String, [Float]>
    /// The most texts one request may carry.
    public let maxBatch: Int
    /// Batches up to this size are embedded inline on the event loop.
    public let inlineBatch: Int

    public init(embedder: HashEmbedder = HashEmbedder(), cacheEntries: Int = 10_000, maxBatch: Int = 1024, inlineBatch: Int = 4) {
        self.embedder = embedder
        self.cache = LRUCache(capacity: cacheEntries)
        self.maxBatch = maxBatch
        self.inlineBatch = inlineBatch
    }

    /// The embedder's name in responses and Status, e.g. "hash".
    public var name: String { "hash" }

    /// Adds Embed to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.embed) { request, _ in
            guard !request.texts.isEmpty else { throw RPCError(.invalidArgument, "Embed needs at least one text") }
            guard request.texts.count <= maxBatch else {
                throw RPCError(.invalidArgument, "\(request.texts.count) texts exceed the batch limit of \(maxBatch)")
            }
            if request.texts.count <= inlineBatch { return .now(embed(request.texts)) }
            return .later { embed(request.texts) }
        }
    }

    /// The response for `texts`.
    public func embed(_ texts: [String]) -> EmbedResponse {
        let vectors = texts.map { text in
            if let cached = cache.value(for: text) { return cached }
            let vector = embedder.embed(text)
            cache.insert(vector, for: text)
            return vector
        }
        return EmbedResponse(vectors: vectors, embedder: name, dimension: UInt32(embedder.settings.dimension))
    }

    /// The embedder's part of Status.
    public var status: EmbedderStatus {
        let stats = cache.statistics
        var status = EmbedderStatus()
        status.embedder = name
        status.dimension = UInt32(embedder.settings.dimension)
        status.cacheHits = stats.hits
        status.cacheMisses = stats.misses
        status.cacheEntries = UInt32(clamping: stats.entries)
        return status
    }
}
