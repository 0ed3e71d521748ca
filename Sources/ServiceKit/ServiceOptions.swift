import ArgumentParser
import Logging
import RPC
import Wire

/// The flags every Switchyard service takes.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Address to listen on.")
    public var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; see --port-file).")
    public var port: Int?

    @Option(help: "Write the bound port to this file once listening.")
    public var portFile: String?

    @Option(help: "Serve Prometheus metrics on GET /metrics at this HTTP port (0 picks a free one; absent: none).")
    public var metricsPort: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info

    @Option(help: "Largest frame accepted or sent, in bytes.")
    public var maxFrameBytes = 4 << 20

    @Option(help: "zlib-compress frames of at least this many bytes (0 = never).")
    public var compressAbove = 32 << 10

    @Option(help: "How long a graceful shutdown waits for requests in flight (seconds, or e.g. 500ms).")
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}

    /// The server configuration these flags describe; `defaultPort` applies when --port is absent.
    public func serverConfiguration(defaultPort: Int) -> ServerConfiguration {
        ServerConfiguration(
            host: host, port: port ?? defaultPort, wire: wireConfiguration, shutdownGracePeriod: shutdownGrace)
    }

    /// The frame limits and compression these flags describe.
    public var wireConfiguration: WireConfiguration {
        WireConfiguration(maxFrameSize: maxFrameBytes, compressionThreshold: compressAbove > 0 ? compressAbove : nil)
    }

    /// A client of another service with this service's frame limits: `connections` pooled
    /// connections, connecting within `connectTimeout`.
    public func client(
        _ address: ServiceAddress, connections: Int = 1, connectTimeout: Duration = .seconds(1),
        defaultTimeout: Duration? = .seconds(30)
    ) -> RPCClient {
        RPCClient(
            address: address,
            configuration: .init(
                wire: wireConfiguration, connectTimeout: connectTimeout, defaultTimeout: defaultTimeout,
                connections: connections))
    }

    public mutating func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 0...65535") }
        if maxFrameBytes < 1024 { throw ValidationError("--max-frame-bytes must be at least 1024") }
        if compressAbove < 0 { throw ValidationError("--compress-above must be 0 or more") }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Durations on the command line: seconds ("2", "0.5") or with a unit ("500ms", "2s", "1m").
extension Duration: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        let unit = units.first { argument.hasSuffix($0.suffix) }
        guard let value = Double(argument.dropLast(unit?.suffix.count ?? 0)), value.isFinite, value >= 0 else { return nil }
        self = .nanoseconds(Int64((value * (unit?.seconds ?? 1) * 1e9).rounded()))
    }
}

/// A service cannot start (a bad router file, configuration or address): printed as one line,
/// exit status 1, no usage text.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `host:port` flags and arguments parse straight into a `ServiceAddress`; a malformed one is a
/// usage error naming the flag.
extension ServiceAddress: ExpressibleByArgument {
    public init?(argument: String) {
        guard let address = try? ServiceAddress(parsing: argument) else { return nil }
        self = address
    }
}
