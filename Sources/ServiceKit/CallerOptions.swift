import ArgumentParser
import RPC

/// The flag of every command that calls a service: the token to send when the service asks for
/// one (`--auth-token-file` of the services).
public struct CallerOptions: ParsableArguments, Sendable {
    @Option(help: "File holding the token to send: the services' --auth-token-file.")
    public var authTokenFile: String?

    public init() {}

    /// The token, read from the file (`validate` has checked it can be).
    public var token: String? { authTokenFile.flatMap { try? Authentication.token(fromFile: $0) } }

    public mutating func validate() throws {
        guard let authTokenFile else { return }
        do { _ = try Authentication.token(fromFile: authTokenFile) } catch { throw ValidationError("--auth-token-file: \(error)") }
    }
}
