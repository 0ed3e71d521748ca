import Wire

/// A "host:port" address of a Switchyard service ("[::1]:7000" for IPv6).
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { (self.host, self.port) = (host, port) }

    /// Parses "host:port"; throws INVALID_ARGUMENT naming what is wrong.
    public init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"),
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { throw RPCError(.invalidArgument, "address \"\(text)\" is not host:port with a port in 1...65535") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw RPCError(.invalidArgument, "address \"\(text)\" has no host") }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
