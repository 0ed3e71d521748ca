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

@Suite(.timeLimit(.minutes(1))) struct EmbedServiceTests {
    /// Runs the Embed handler on a real server on an ephemeral port.
    func withEmbedServer(_ handler: EmbedHandler, _ body: (RPCClient) async throws -> Void) async throws {
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        let server = RPCServer(service: "embed", configuration: .init(port: 0), handlers: handlers, logger: Logger(label: "test"))
        let address = try await server.start()
        let running = Task { try await server.run() }
        let client = RPCClient(address: ServiceAddress(host: "127.0.0.1", port: address.port!))
        do {
            try await body(client)
        } catch {
            server.shutdown()
            throw error
        }
        await client.close()
        server.shutdown()
        try await running.value
    }

    @Test func embedsABatchInOrderAndCaches() async throws {
        let handler = EmbedHandler(inlineBatch: 2)
        try await withEmbedServer(handler) { client in
            let texts = ["what is 2 + 2?", "écris un poème", "what is 2 + 2?", "x"]
            let response = try await client.call(Methods.embed, EmbedRequest(texts: texts))
            #expect(response.vectors.count == 4)
            #expect(response.dimension == 384)
            #expect(response.vectors[0] == HashEmbedder().embed(texts[0]))
            #expect(response.vectors[0] == response.vectors[2])
            // The repeated text is embedded once; nothing was cached before this batch.
            #expect(handler.status.cacheHits == 0)
            #expect(handler.status.cacheEntries == 3)
            let again = try await client.call(Methods.embed, EmbedRequest(texts: texts))
            #expect(again.vectors == response.vectors)
            #expect(handler.status.cacheHits == 4)
        }
    }

    @Test func emptyAndOversizeBatchesAreInvalid() async throws {
        try await withEmbedServer(EmbedHandler(maxBatch: 3)) { client in
            let empty = await #expect(throws: RPCError.self) { try await client.call(Methods.embed, EmbedRequest(texts: [])) }
            #expect(empty?.code == .invalidArgument)
            let big = await #expect(throws: RPCError.self) {
                try await client.call(Methods.embed, EmbedRequest(texts: ["a", "b", "c", "d"]))
            }
            #expect(big?.code == .invalidArgument)
            // The connection still serves.
            let after = try await client.call(Methods.embed, EmbedRequest(texts: ["a"]))
            #expect(after.vectors.count == 1)
        }
    }
}
