import RouterCore
import RPC
import Wire

/// The Embed method: texts in, one unit vector per text out, through an LRU cache of recent
/// prompts. With a local embedder, a small batch of short texts is embedded where the request
/// arrived (microseconds); anything larger, and every call of a remote embedder, runs off the
/// event loop so it cannot stall the connections sharing it.
public struct EmbedHandler: Sendable {
    public let embedder: any TextEmbedder
    /// Recent embeddings by embedder, version and text.
    public let cache: LRUCache<String, Embedding>
    public let limits: EmbedLimits

    public init(embedder: any TextEmbedder = HashEmbedder(), cacheEntries: Int = 10_000, limits: EmbedLimits = .init()) {
        self.embedder = embedder
        self.cache = LRUCache(capacity: cacheEntries)
        self.limits = limits
    }

    /// Adds Embed to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.embed) { request, context in
            try limits.check(request.texts)
            return try await embed(request.texts, deadline: context.deadline)
        }
    }

    /// The response for `texts`: cached vectors, and the rest embedded in one batch (each
    /// distinct text once), given up with DEADLINE_EXCEEDED when the caller stops waiting.
    public func embed(_ texts: [String], deadline: ContinuousClock.Instant? = nil) async throws -> EmbedResponse {
        let keys = texts.map { "\(embedder.name)@\(embedder.version)\u{1F}\($0)" }
        let cached = keys.map { cache.value(for: $0) }
        var seen = Set<String>()
        let missing = texts.indices.filter { cached[$0] == nil && seen.insert(keys[$0]).inserted }
        var fresh: [String: Embedding] = [:]
        if !missing.isEmpty {
            let missingTexts = missing.map { texts[$0] }
            let computed = if let local = embedder as? any LocalTextEmbedder, limits.isInline(missingTexts) {
                local.embedNow(missingTexts)
            } else {
                try await embedder.embed(missingTexts, deadline: deadline)
            }
            for (index, embedding) in zip(missing, computed) {
                fresh[keys[index]] = embedding
                cache.insert(embedding, for: keys[index])
            }
        }
        let embeddings = texts.indices.map { cached[$0] ?? fresh[keys[$0]]! }
        return EmbedResponse(
            vectors: embeddings.map { Vector(values: $0.vector) }, embedder: embedder.name, dimension: UInt32(embedder.dimension),
            truncated: embeddings.map(\.truncated), embedderVersion: embedder.version)
    }

    /// The embedder's part of Status.
    public var status: EmbedderStatus {
        let stats = cache.statistics
        var status = EmbedderStatus()
        status.embedder = embedder.name
        status.dimension = UInt32(embedder.dimension)
        status.cacheHits = stats.hits
        status.cacheMisses = stats.misses
        status.cacheEntries = UInt32(clamping: stats.entries)
        return status
    }
}
