import RouterCore
import RPC
import Wire

/// The Embed method: texts in, one unit vector per text out, through an LRU cache of recent
/// prompts. With a local embedder, a small batch of short texts is embedded where the request
/// arrived (microseconds); anything larger, and every call of a remote embedder, runs off the
/// event loop so it cannot stall the connections sharing it.
public struct EmbedHandler: Sendable {
    public let embedder: any TextEmbedder
    public let cache: LRUCache<String, [Float]>
    /// The most texts one request may carry.
    public let maxBatch: Int
    /// Batches up to this many texts, of at most `inlineCharacters` in all, are embedded inline
    /// (local embedders only).
    public let inlineBatch: Int
    public let inlineCharacters: Int

    public init(
        embedder: any TextEmbedder = HashEmbedder(), cacheEntries: Int = 10_000, maxBatch: Int = 1024, inlineBatch: Int = 4,
        inlineCharacters: Int = 8192
    ) {
        self.embedder = embedder
        self.cache = LRUCache(capacity: cacheEntries)
        self.maxBatch = maxBatch
        self.inlineBatch = inlineBatch
        self.inlineCharacters = inlineCharacters
    }

    /// Adds Embed to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.embed) { request, _ in
            guard !request.texts.isEmpty else { throw RPCError(.invalidArgument, "Embed needs at least one text") }
            guard request.texts.count <= maxBatch else {
                throw RPCError(.invalidArgument, "\(request.texts.count) texts exceed the batch limit of \(maxBatch)")
            }
            return try await embed(request.texts)
        }
    }

    /// The response for `texts`: cached vectors, and the rest embedded in one batch (each
    /// distinct text once).
    public func embed(_ texts: [String]) async throws -> EmbedResponse {
        let (cached, missing) = lookUp(texts)
        var computed: [[Float]] = []
        if !missing.isEmpty {
            if let local = embedder as? any LocalTextEmbedder, isSmall(missing) {
                computed = local.embedNow(missing)
            } else {
                computed = try await embedder.embed(missing)
            }
        }
        return assemble(texts, cached, missing, computed)
    }

    private func isSmall(_ texts: [String]) -> Bool {
        texts.count <= inlineBatch && texts.reduce(0) { $0 + $1.utf8.count } <= inlineCharacters
    }

    /// The cached vector of each text, and the distinct texts not cached.
    private func lookUp(_ texts: [String]) -> (cached: [[Float]?], missing: [String]) {
        let cached = texts.map { cache.value(for: $0) }
        var seen = Set<String>()
        let missing = texts.indices.filter { cached[$0] == nil }.map { texts[$0] }.filter { seen.insert($0).inserted }
        return (cached, missing)
    }

    /// The response with `computed` (the vectors of `missing`) filled in and cached.
    private func assemble(_ texts: [String], _ cached: [[Float]?], _ missing: [String], _ computed: [[Float]]) -> EmbedResponse {
        var fresh: [String: [Float]] = [:]
        for (text, vector) in zip(missing, computed) {
            fresh[text] = vector
            cache.insert(vector, for: text)
        }
        let vectors = texts.indices.map { Vector(values: cached[$0] ?? fresh[texts[$0]]!) }
        return EmbedResponse(vectors: vectors, embedder: embedder.name, dimension: UInt32(embedder.dimension))
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
