import ArgumentParser
import EmbeddingService
import RouterCore
import RPC
import ServiceKit
import Wire

/// `switchyard-embed`: the embedding service.
@main
struct SwitchyardEmbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-embed", abstract: "Switchyard's embedding service (Embed: texts -> unit vectors).")

    @OptionGroup var service: ServiceOptions

    @Option(help: "Dimension of the built-in hash embedder (routers must be trained with the same).")
    var dimension = 384

    @Option(help: "Recent prompts kept in the LRU cache (0 = no cache).")
    var cacheEntries = 10_000

    @Option(help: "Most texts in one Embed request.")
    var maxBatch = 1024

    func validate() throws {
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
        if cacheEntries < 0 { throw ValidationError("--cache-entries must be >= 0") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
    }

    func run() async throws {
        let embed = EmbedHandler(
            embedder: HashEmbedder(settings: .init(dimension: dimension)), cacheEntries: cacheEntries, maxBatch: maxBatch)
        var handlers = RPCHandlers()
        embed.register(in: &handlers)
        let host = ServiceHost(name: "embed", options: service)
        try await host.run(handlers: handlers, defaultPort: 7100, status: { $0.embedder = embed.status })
    }
}
