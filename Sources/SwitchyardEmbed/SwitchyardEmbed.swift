import ArgumentParser
import EmbeddingOptions
import EmbeddingService
import MiniLM
import Foundation
import UpstreamHTTP
import RouterCore
import RPC
import ServiceKit
import Wire

/// `switchyard-embed`: the embedding service.
@main
struct SwitchyardEmbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-embed", abstract: "Switchyard's embedding service (Embed: texts -> unit vectors).", version: switchyardVersion)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case hash, minilm, remote
    }

    @OptionGroup var service: ServiceOptions

    @Option(help: "Embedder: hash (built in), minilm (all-MiniLM-L6-v2 in process), or remote (an OpenAI-compatible /v1/embeddings endpoint).")
    var embedder: Kind = .hash

    @OptionGroup(title: "MiniLM") var minilm: MiniLMOptions

    @Option(help: "minilm: how long a request waits for others to share its forward pass (e.g. 2ms).")
    var batchWindow: Duration = .milliseconds(2)

    @Option(help: "minilm: the most texts in one forward pass.")
    var passSize = 32

    @Option(help: "Vector dimension (hash: the embedder's size; remote: what the endpoint returns, checked on every answer).")
    var dimension = 384

    @Option(help: "remote: the endpoint's base URL, e.g. http://127.0.0.1:8000/v1 or https://api.openai.com/v1.")
    var remoteURL: String?

    @Option(help: "remote: a PEM file of the CA certificates of a private https endpoint (default: the system's trust store).")
    var remoteCAFile: String?

    @Option(help: "remote: the model name sent upstream.")
    var remoteModel = "text-embedding-3-small"

    @Option(help: "remote: environment variable holding the API key (sent as a Bearer token).")
    var remoteAPIKeyEnv: String?

    @Option(help: "remote: how long to wait for the endpoint (seconds, or e.g. 500ms).")
    var remoteTimeout: Duration = .seconds(10)

    @Option(help: "Recent prompts kept in the LRU cache (0 = no cache).")
    var cacheEntries = 10_000

    @Option(help: "Most texts in one Embed request.")
    var maxBatch = 1024

    @Option(help: "Most UTF-8 bytes in one text; longer ones are INVALID_ARGUMENT.")
    var maxTextBytes = 256 << 10

    func validate() throws {
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
        if cacheEntries < 0 { throw ValidationError("--cache-entries must be >= 0") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if maxTextBytes < 1 { throw ValidationError("--max-text-bytes must be at least 1") }
        if passSize < 1 { throw ValidationError("--pass-size must be at least 1") }

        if embedder == .remote {
            guard let remoteURL else { throw ValidationError("--embedder remote needs --remote-url") }
            do { _ = try HTTPEndpoint(remoteURL) } catch { throw ValidationError("--remote-url: \(error)") }
            if remoteTimeout <= .zero { throw ValidationError("--remote-timeout must be > 0") }
        }
    }

    func makeEmbedder() throws -> any TextEmbedder {
        switch embedder {
        case .hash:
            return HashEmbedder(settings: .init(dimension: dimension))
        case .minilm:
            do {
                return MiniLMTextEmbedder(model: try minilm.load(), window: batchWindow, maxBatch: passSize)
            } catch {
                throw StartupError("--embedder minilm: \(error)")
            }
        case .remote:
            let apiKey = try remoteAPIKeyEnv.map { name in
                guard let value = ProcessInfo.processInfo.environment[name] else {
                    throw ValidationError("--remote-api-key-env: $\(name) is not set")
                }
                return value
            }
            do {
                return try RemoteEmbedder(
                    endpoint: try HTTPEndpoint(remoteURL!), model: remoteModel, dimension: dimension, apiKey: apiKey,
                    timeout: remoteTimeout, caFile: remoteCAFile)
            } catch {
                throw StartupError("--remote-url: \(error)")
            }
        }
    }

    func run() async throws {
        let host = ServiceHost(name: "embed", options: service)
        let embed = EmbedHandler(embedder: try makeEmbedder(), cacheEntries: cacheEntries, limits: EmbedLimits(maxTexts: maxBatch, maxTextBytes: maxTextBytes))
        var handlers = RPCHandlers()
        embed.register(in: &handlers)
        try await host.run(handlers: handlers, defaultPort: 7100, status: { $0.embedder = embed.status })
    }
}
