import ArgumentParser
import RPC
import ServiceKit
import Wire

/// `switchyard-embed`: the embedding service.
@main
struct SwitchyardEmbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-embed", abstract: "Switchyard's embedding service.")

    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let host = ServiceHost(name: "embed", options: service)
        try await host.run(handlers: RPCHandlers(), defaultPort: 7100)
    }
}
