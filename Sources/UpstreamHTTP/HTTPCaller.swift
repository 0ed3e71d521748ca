import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Why an HTTP call failed before a response arrived.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// The URL is not `http[s]://host[:port][/path]`.
    case badURL(String)
    /// No connection could be made (refused, unresolvable, TLS handshake failed).
    case connectFailed(String, String)
    /// No answer within the timeout.
    case timedOut(String, seconds: Double)
    /// The connection closed (or failed) before the whole response arrived.
    case connectionClosed(String)
    /// The response body is larger than the caller accepts.
    case responseTooLarge(String, limit: Int)
    /// The server answered with a status other than 200; `detail` is the start of the body.
    case status(String, code: Int, detail: String)

    public var description: String {
        switch self {
        case .badURL(let url): "unsupported URL \(url) (expected http[s]://host[:port][/path])"
        case .connectFailed(let target, let reason): "cannot connect to \(target): \(reason)"
        case .timedOut(let target, let seconds): "\(target) did not answer within \(seconds) s"
        case .connectionClosed(let target): "\(target) closed the connection before answering"
        case .responseTooLarge(let target, let limit): "\(target) answered more than \(limit) bytes"
        case .status(let target, let code, let detail): "\(target) answered HTTP \(code): \(detail)"
        }
    }

    /// No answer came in time.
    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }

    /// The server said to slow down (HTTP 429).
    public var isRateLimited: Bool {
        if case .status(_, 429, _) = self { return true }
        return false
    }
}

/// An `http[s]://host[:port][/base]` endpoint, parsed once.
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var isTLS: Bool
    public var host: String
    public var port: Int
    /// The path prefix without a trailing slash, e.g. "/v1".
    public var basePath: String

    /// Parses `http[s]://host[:port][/path]` (an IPv6 host in brackets); throws `HTTPError.badURL` otherwise.
    public init(_ url: String) throws(HTTPError) {
        let scheme = url.prefix { $0 != ":" }
        guard scheme == "http" || scheme == "https", url.dropFirst(scheme.count).hasPrefix("://") else { throw .badURL(url) }
        isTLS = scheme == "https"
        let rest = url.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count))
        guard !path.contains("?"), !path.contains("#") else { throw .badURL(url) }
        while path.hasSuffix("/") { path.removeLast() }
        let hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .badURL(url) }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badURL(url) }
                portPart = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw .badURL(url) }
            hostPart = parts[0]
            portPart = parts.count == 2 ? parts[1] : nil
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw .badURL(url) }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else { throw .badURL(url) }
            self.port = port
        } else {
            port = isTLS ? 443 : 80
        }
        basePath = path
    }

    public var description: String {
        "\(isTLS ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(basePath)"
    }
}

/// A whole HTTP response.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// A response whose body arrives in pieces, as the server sends them (server-sent events).
public struct HTTPStreamingReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The body's pieces; iterating throws `HTTPError` when the connection fails midway.
    public var body: HTTPBodyStream
}

/// The pieces of a streamed response body. Iterating it throws `HTTPError.connectionClosed`
/// when the server stops halfway, `.timedOut` past the stream's deadline.
public struct HTTPBodyStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let body: HTTPClientResponse.Body
    let target: String
    let seconds: Double

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let target: String
        let seconds: Double

        public mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch {
                throw HTTPCaller.failure(error, target: target, seconds: seconds)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), target: target, seconds: seconds)
    }
}

/// Calls one HTTP(S) endpoint through async-http-client: pooled keep-alive connections (HTTP/2
/// where an https server offers it), TLS verified against the system's trust store or against
/// a CA file given for this endpoint, a deadline on every call.
///
/// Every caller in the process shares one client and its connection pool (connections are
/// pooled per host, port and TLS configuration).
public struct HTTPCaller: Sendable {
    public let endpoint: HTTPEndpoint
    /// Trust for this endpoint when it is not the system's: the certificates of `caFile`.
    let tls: TLSConfiguration?

    /// - Parameter caFile: a PEM file of the CA certificates that sign this endpoint's
    ///   certificate (a private endpoint); nil trusts the system's store. Throws when the file
    ///   cannot be read as PEM certificates, or is given for a plain-http endpoint.
    public init(_ endpoint: HTTPEndpoint, caFile: String? = nil) throws {
        self.endpoint = endpoint
        guard let caFile else {
            tls = nil
            return
        }
        guard endpoint.isTLS else { throw HTTPError.badURL("\(endpoint): a CA file is for https endpoints") }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw HTTPError.connectFailed("\(endpoint)", "cannot read CA file \(caFile): \(error)")
        }
        guard !certificates.isEmpty else { throw HTTPError.connectFailed("\(endpoint)", "CA file \(caFile) holds no certificate") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(certificates)
        tls = configuration
    }

    /// Parses `url` and makes its caller.
    public init(url: String, caFile: String? = nil) throws {
        try self.init(try HTTPEndpoint(url), caFile: caFile)
    }

    /// POSTs `body` to `basePath + path` and returns the whole response (any status).
    public func post(
        _ path: String, headers: [(String, String)] = [], body: [UInt8], timeout: Duration, maxResponseBytes: Int = 16 << 20
    ) async throws(HTTPError) -> HTTPReply {
        try await whole(.POST, path, headers: headers, body: body, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// GETs `basePath + path` and returns the whole response (any status).
    public func get(
        _ path: String, headers: [(String, String)] = [], timeout: Duration, maxResponseBytes: Int = 16 << 20
    ) async throws(HTTPError) -> HTTPReply {
        try await whole(.GET, path, headers: headers, body: nil, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// POSTs `body` and returns as soon as the response head arrives (within `headTimeout`);
    /// the body then streams until it ends or `streamTimeout` (from the call) passes. Cancelling
    /// the task that iterates the body closes the upstream call.
    public func postStreaming(
        _ path: String, headers: [(String, String)] = [], body: [UInt8], headTimeout: Duration, streamTimeout: Duration
    ) async throws(HTTPError) -> HTTPStreamingReply {
        let target = "\(endpoint)\(path)"
        let request = makeRequest(.POST, path, headers: headers, body: body)
        let response = try await Self.execute(request, target: target, headTimeout: headTimeout, totalTimeout: max(headTimeout, streamTimeout))
        return HTTPStreamingReply(
            status: Int(response.status.code), headers: response.headers,
            body: HTTPBodyStream(body: response.body, target: target, seconds: streamTimeout.seconds))
    }

    private func whole(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration, maxResponseBytes: Int
    ) async throws(HTTPError) -> HTTPReply {
        let target = "\(endpoint)\(path)"
        let request = makeRequest(method, path, headers: headers, body: body)
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            let response = try await Self.client.execute(request, deadline: deadline)
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            return HTTPReply(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
        } catch is NIOTooManyBytesError {
            throw .responseTooLarge(target, limit: maxResponseBytes)
        } catch {
            throw Self.failure(error, target: target, seconds: timeout.seconds)
        }
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "\(endpoint)\(path)")
        request.method = method
        request.headers = HTTPHeaders(headers)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        request.tlsConfiguration = tls
        return request
    }

    /// Executes `request`, failing with `.timedOut` when its head does not arrive within
    /// `headTimeout`; the whole call (body included) ends at `totalTimeout`.
    private static func execute(
        _ request: HTTPClientRequest, target: String, headTimeout: Duration, totalTimeout: Duration
    ) async throws(HTTPError) -> HTTPClientResponse {
        let deadline = NIODeadline.now() + TimeAmount(totalTimeout)
        do {
            return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
                group.addTask { try await client.execute(request, deadline: deadline) }
                group.addTask {
                    try await Task.sleep(for: headTimeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw HTTPError.timedOut(target, seconds: headTimeout.seconds)
                }
                return response
            }
        } catch let error as HTTPError {
            throw error
        } catch {
            throw failure(error, target: target, seconds: totalTimeout.seconds)
        }
    }

    /// An error of async-http-client (or NIO) as an `HTTPError`.
    static func failure(_ error: any Error, target: String, seconds: Double) -> HTTPError {
        if let error = error as? HTTPError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timedOut(target, seconds: seconds)
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return .connectFailed(target, "\(error)")
            case .remoteConnectionClosed, .cancelled: return .connectionClosed(target)
            default: break
            }
        }
        if error is NIOConnectionError || error is IOError || error is NIOSSLError || error is BoringSSLError {
            return .connectFailed(target, "\(error)")
        }
        if error is CancellationError { return .connectionClosed("\(target): cancelled") }
        return .connectionClosed("\(target): \(error)")
    }

    /// The process's client: connections pooled per host, up to 64 kept per host (the gateway
    /// calls a few upstreams with many requests at once); a refused connection fails the call
    /// at once (the gateway tries another model instead of waiting out the timeout);
    /// redirects are not followed (a POST to a model is not something to replay elsewhere).
    /// Never shut down: it lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.connectionPool.retryConnectionEstablishment = false
        // No tracer is bootstrapped in these services: skip the span bookkeeping per call.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()
}

extension Duration {
    fileprivate var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
