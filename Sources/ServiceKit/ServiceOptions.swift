import ArgumentParser
import Logging
import RPC
import Wire

/// The flags every Switchyard service takes.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Address to listen on.")
    public var host = "127.0.0.1"

    @Option(help: "Port to listen on (default: switchyard-embed 7100, switchyard-router 7200, switchyard-coordinator 7300, switchyard-gateway 7400; 0 picks a free one, see --port-file).")
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

    @Option(help: "Close a connection with nothing in flight after this long (0 = never).")
    public var idleTimeout: Duration = .seconds(300)

    @Option(help: "A frame that has started must arrive within this long, or the connection is closed (0 = no limit).")
    public var frameReadTimeout: Duration = .seconds(10)

    @Option(help: "Connections open at once; more are answered RESOURCE_EXHAUSTED and closed.")
    public var maxConnections = 4096

    @Option(help: "Bytes that partly received frames may hold across all connections.")
    public var maxPartialFrameBytes = 64 << 20

    @Option(help: "Requests in flight per connection; at the limit the service stops reading from it until one is answered.")
    public var maxRequestsPerConnection = 1024

    @Option(help: "File holding the token callers must send (and this service sends to the others); absent: no token.")
    public var authTokenFile: String?

    @Option(help: "File holding the admin token, the only one that may call Register and Reload (and that this service registers with).")
    public var adminTokenFile: String?

    @Flag(help: "Listen on a non-loopback address without a token (only on a network nobody else can reach).")
    public var allowUnauthenticated = false

    public init() {}

    /// The server configuration these flags describe; `defaultPort` applies when --port is absent.
    public func serverConfiguration(defaultPort: Int) -> ServerConfiguration {
        ServerConfiguration(
            host: host, port: port ?? defaultPort, wire: wireConfiguration, shutdownGracePeriod: shutdownGrace,
            limits: connectionLimits, authentication: Authentication(callerToken: callerToken, adminToken: adminToken))
    }

    /// The connection limits these flags describe.
    public var connectionLimits: ConnectionLimits {
        ConnectionLimits(
            idleTimeout: idleTimeout > .zero ? idleTimeout : nil, frameReadTimeout: frameReadTimeout > .zero ? frameReadTimeout : nil,
            maxConnections: maxConnections, maxPartialFrameBytes: maxPartialFrameBytes,
            maxRequestsInFlight: maxRequestsPerConnection)
    }

    /// The caller token from --auth-token-file (checked readable by `validate`).
    public var callerToken: String? { authTokenFile.flatMap { try? Authentication.token(fromFile: $0) } }
    /// The admin token from --admin-token-file.
    public var adminToken: String? { adminTokenFile.flatMap { try? Authentication.token(fromFile: $0) } }

    /// The frame limits and compression these flags describe.
    public var wireConfiguration: WireConfiguration {
        WireConfiguration(maxFrameSize: maxFrameBytes, compressionThreshold: compressAbove > 0 ? compressAbove : nil)
    }

    /// A client of another service with this service's frame limits and token (the admin token
    /// for `admin` calls such as Register, else the caller token): `connections` pooled
    /// connections, connecting within `connectTimeout`.
    public func client(
        _ address: ServiceAddress, connections: Int = 1, connectTimeout: Duration = .seconds(1),
        defaultTimeout: Duration? = .seconds(30), admin: Bool = false
    ) -> RPCClient {
        RPCClient(
            address: address,
            configuration: .init(
                wire: wireConfiguration, connectTimeout: connectTimeout, defaultTimeout: defaultTimeout,
                connections: connections, authToken: admin ? (adminToken ?? callerToken) : callerToken))
    }

    public mutating func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 0...65535") }
        if maxFrameBytes < 1024 { throw ValidationError("--max-frame-bytes must be at least 1024") }
        if compressAbove < 0 { throw ValidationError("--compress-above must be 0 or more") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if maxRequestsPerConnection < 1 { throw ValidationError("--max-requests-per-connection must be at least 1") }
        if maxPartialFrameBytes < maxFrameBytes + 5 {
            throw ValidationError("--max-partial-frame-bytes must hold at least one frame of --max-frame-bytes")
        }
        for (flag, path) in [("--auth-token-file", authTokenFile), ("--admin-token-file", adminTokenFile)] {
            guard let path else { continue }
            do { _ = try Authentication.token(fromFile: path) } catch { throw ValidationError("\(flag): \(error)") }
        }
        if !Self.isLoopback(host), authTokenFile == nil, !allowUnauthenticated {
            throw ValidationError(
                "listening on \(host) without --auth-token-file would let anyone who reaches it call it; "
                    + "give a token file, or --allow-unauthenticated on a network nobody else can reach")
        }
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

extension ServiceOptions {
    /// Whether `host` is a loopback address (nobody beyond this machine can reach it).
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
    }
}
