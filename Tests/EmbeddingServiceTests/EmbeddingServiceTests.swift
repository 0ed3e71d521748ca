import Logging
import RouterCore
import RPC
import Testing
import Wire
@testable import EmbeddingService

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        let cache = LRUCache<String, Int>(capacity: 2)
        cache.insert(1, for: "a")
        cache.insert(2, for: "b")
        #expect(cache.value(for: "a") == 1)  // a is now newer than b
        cache.insert(3, for: "c")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.value(for: "c") == 3)
        let stats = cache.statistics
        #expect(stats.entries == 2)
        #expect(stats.hits == 3)
        #expect(stats.misses == 1)
    }

    @Test func zeroCapacityKeepsNothing() {
        let cache = LRUCache<String, Int>(capacity: 0)
        cache.insert(1, for: "a")
        #expect(cache.value(for: "a") == nil)
    }
}

/// The Embed method through the in-process transport: no sockets.
@Suite(.timeLimit(.minutes(1))) struct EmbedServiceTests {
    func embedService(_ handler: EmbedHandler) -> InProcessCaller {
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        return InProcessCaller(handlers, target: "embed")
    }

    @Test func embedsABatchInOrderAndCaches() async throws {
        let handler = EmbedHandler(limits: EmbedLimits(inlineTexts: 2))
        let service = embedService(handler)
        let texts = ["what is 2 + 2?", "écris un poème", "what is 2 + 2?", "x"]
        let response = try await service.call(Methods.embed, EmbedRequest(texts: texts))
        #expect(response.vectors.count == 4)
        #expect(response.dimension == 384)
        #expect(response.vectors[0].values == HashEmbedder().embed(texts[0]))
        #expect(response.vectors[0] == response.vectors[2])
        // The repeated text is embedded once; nothing was cached before this batch.
        #expect(handler.status.cacheHits == 0)
        #expect(handler.status.cacheEntries == 3)
        let again = try await service.call(Methods.embed, EmbedRequest(texts: texts))
        #expect(again.vectors == response.vectors)
        #expect(handler.status.cacheHits == 4)
    }

    @Test func largeBatchesAndLongTextsGiveTheSameVectorsOffTheEventLoop() async throws {
        let service = embedService(EmbedHandler(cacheEntries: 0, limits: EmbedLimits(inlineTexts: 2, inlineBytes: 100)))
        let long = String(repeating: "a long prompt about routing ", count: 20)
        let texts = [long, "one", "two", "three"]
        let response = try await service.call(Methods.embed, EmbedRequest(texts: texts))
        #expect(response.vectors.map(\.values) == texts.map(HashEmbedder().embed))
    }

    @Test func emptyAndOversizeBatchesAreInvalid() async throws {
        let service = embedService(EmbedHandler(limits: EmbedLimits(maxTexts: 3)))
        let empty = await #expect(throws: RPCError.self) { try await service.call(Methods.embed, EmbedRequest(texts: [])) }
        #expect(empty?.code == .invalidArgument)
        let big = await #expect(throws: RPCError.self) {
            try await service.call(Methods.embed, EmbedRequest(texts: ["a", "b", "c", "d"]))
        }
        #expect(big?.code == .invalidArgument)
        #expect(big?.message.contains("3") == true, "names the limit")
    }
}
