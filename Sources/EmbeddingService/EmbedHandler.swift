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
    public let limits: EmbedLimits

    public init(embedder: any TextEmbedder = HashEmbedder(), cacheEntries: Int = 10_000, limits: EmbedLimits = .init()) {
        self.embedder = embedder
        self.cache = LRUCache(capacity: cacheEntries)
        self.limits = limits
    }

    /// Adds Embed to `handlers`.
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.embed) { request, _ in
            try limits.check(request.texts)
            return try await embed(request.texts)
        }
    }

    /// The response for `texts`: cached vectors, and the rest embedded in one batch (each
    /// distinct text once).
    public func embed(_ texts: [String]) async throws -> EmbedResponse {
        let (cached, missing) = lookUp(texts)
        var computed: [[Float]] = []
        if !missing.isEmpty {
            if let local = embedder as? any LocalTextEmbedder, limits.isInline(missing) {
                computed = local.embedNow(missing)
            } else {
                computed = try await embedder.embed(missing)
            }
        }
        return assemble(texts, cached, missing, computed)
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
