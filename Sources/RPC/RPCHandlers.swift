import Logging
import NIOCore
import Wire

/// The methods a server answers, by rpc name.
public struct RPCHandlers: Sendable {
    private(set) var table: [String: MethodHandler] = [:]

    public init() {}

    /// Answers `method` with `handler`. The handler runs on the connection's event loop: it must
    /// not block; anything that waits belongs in a `.later` reply. Throwing an `RPCError` answers
    /// with its status; any other error answers INTERNAL.
    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, RequestContext) throws -> Reply<Response>
    ) {
        table[method.name] = MethodHandler(name: method.name) { body, context in
            let request: Request
            do {
                request = try body.withUnsafeBytes { try Request(serialized: $0) }
            } catch {
                return .failed(RPCError(.invalidArgument, "request body does not decode as \(Request.descriptor.fullName)"))
            }
            do {
                switch try handler(request, context) {
                case .now(let response):
                    return .now(response.serializedBytes())
                case .later(let work):
                    return .later { try await work().serializedBytes() }
                case .future(let future):
                    return .future(future.map { $0.serializedBytes() })
                }
            } catch {
                return .failed(RPCError(error))
            }
        }
    }

    /// Answers `method` with bytes `handler` produces from the request's bytes, without decoding
    /// either: for proxies that pass requests through (the coordinator). The handler runs on the
    /// connection's event loop and must not block.
    public mutating func registerForwarding<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (_ body: [UInt8], RequestContext) -> EventLoopFuture<[UInt8]>
    ) {
        table[method.name] = MethodHandler(name: method.name) { body, context in .future(handler(body, context)) }
    }

    /// The handler of `method`, if registered.
    func handler(for method: String) -> MethodHandler? { table[method] }

    /// Registered rpc names.
    public var methods: [String] { table.keys.sorted() }
}

/// A registered method with its types erased to serialized bytes.
struct MethodHandler: Sendable {
    let name: String
    let invoke: @Sendable ([UInt8], RequestContext) -> ErasedReply
}

enum ErasedReply: Sendable {
    case now([UInt8])
    case failed(RPCError)
    case later(@Sendable () async throws -> [UInt8])
    case future(EventLoopFuture<[UInt8]>)
}

extension RPCError {
    /// `error` as a status for the caller: an RPCError as it is, a wire error with its status,
    /// cancellation as CANCELLED, anything else INTERNAL.
    public init(_ error: any Error) {
        switch error {
        case let error as RPCError: self = error
        case let error as WireError: self.init(error.statusCode, error.description)
        case is CancellationError: self.init(.cancelled, "cancelled")
        default: self.init(.internal, "\(error)")
        }
    }
}
