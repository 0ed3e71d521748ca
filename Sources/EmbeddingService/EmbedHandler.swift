import RouterCore
import RPC
import Wire

/// The Embed method: texts in, one unit vector per text out, through an LRU cache of recent
/// prompts. With a local embedder, small batches are answered on the event loop; larger ones,
/// and every call of a remote embedder, run as a task so they cannot stall the connections
/// sharing the loop.
public struct EmbedHandler: Sendable {
    public let embedder: any TextEmbedder
    public let cache: LRUCache<String, [Float]>
    /// The most texts one request may carry.
    public let maxBatch: Int
    /// Batches up to this size are embedded inline on the event loop (local embedders only).
    public let inlineBatch: Int

    public init(
        embedder: any TextEmbedder = HashEmbedder(), cacheEntries: Int = 10_000, maxBatch: Int = 1024, inlineBatch: Int = 4
    ) {
        self.embedder = embedder
        self.cache = LRUCache(capacity: cacheEntries)
        self.maxBatch = maxBatch
        self.inlineBatch = inlineBatch
    }

    /// Adds Embed to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.embed) { request, _ in
            guard !request.texts.isEmpty else { throw RPCError(.invalidArgument, "Embed needs at least one text") }
            guard request.texts.count <= maxBatch else {
                throw RPCError(.invalidArgument, "\(request.texts.count) texts exceed the batch limit of \(maxBatch)")
            }
            if let local = embedder as? any LocalTextEmbedder, request.texts.count <= inlineBatch {
                return .now(respond(request.texts) { local.embedNow($0) })
            }
            return .later { try await embed(request.texts) }
        }
    }

    /// The response for `texts`: cached vectors, and the rest embedded in one batch.
    public func embed(_ texts: [String]) async throws -> EmbedResponse {
        let (cached, missing) = lookUp(texts)
        let computed = missing.isEmpty ? [] : try await embedder.embed(missing.map { texts[$0] })
        return assemble(texts, cached, missing, computed)
    }

    /// `embed(_:)` for a local embedder, without suspending.
    private func respond(_ texts: [String], _ compute: ([String]) -> [[Float]]) -> EmbedResponse {
        let (cached, missing) = lookUp(texts)
        return assemble(texts, cached, missing, missing.isEmpty ? [] : compute(missing.map { texts[$0] }))
    }

    /// The cached vector of each text, and the positions of those not cached.
    private func lookUp(_ texts: [String]) -> (cached: [[Float]?], missing: [Int]) {
        let cached = texts.map { cache.value(for: $0) }
        return (cached, cached.indices.filter { cached[$0] == nil })
    }

    /// The response with `computed` (for the `missing` positions) filled in and cached.
    private func assemble(_ texts: [String], _ cached: [[Float]?], _ missing: [Int], _ computed: [[Float]]) -> EmbedResponse {
        var vectors = cached
        for (i, index) in missing.enumerated() {
            vectors[index] = computed[i]
            cache.insert(computed[i], for: texts[index])
        }
        return EmbedResponse(vectors: vectors.map { $0! }, embedder: embedder.name, dimension: UInt32(embedder.dimension))
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
