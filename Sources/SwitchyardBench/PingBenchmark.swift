import ArgumentParser
import RPC
import ServiceKit
import Wire

/// Sequential Health round trips to a running service: one request in flight at a time.
struct PingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "p50/p99 of sequential Health round trips to a service.")

    @Argument(help: "The service's address, host:port.")
    var address: ServiceAddress

    @Option(help: "Timed round trips (after --warmup untimed ones).")
    var count = 20000

    @Option(help: "Untimed round trips first.")
    var warmup = 2000

    func run() async throws {
        let client = RPCClient(address: address)
        for _ in 0..<warmup { _ = try await client.call(Methods.health, HealthRequest()) }
        var samples = Samples(capacity: count)
        for _ in 0..<count {
            let start = nowNanoseconds()
            _ = try await client.call(Methods.health, HealthRequest())
            samples.append(Double(nowNanoseconds() - start))
        }
        await client.close()
        print("switchyard Health round trip: p50 \(format(samples.percentile(50) / 1000)) us, "
            + "p99 \(format(samples.percentile(99) / 1000)) us (\(count) sequential calls)")
    }
}
