/// A failed call: the status a server answered (or the client concluded), why, and the error that
/// caused it when there is one (kept for logs; never sent).
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// The underlying error, when this one was made from another.
    public var cause: (any Error & Sendable)?

    public init(_ code: StatusCode, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `error` as a status for the caller: an RPCError as it is, a wire error with its status,
    /// cancellation as CANCELLED, anything else INTERNAL (with `error` as the cause).
    public init(_ error: any Error) {
        switch error {
        case let error as RPCError: self = error
        case let error as WireError: self.init(error.statusCode, error.description, cause: error)
        case is CancellationError: self.init(.cancelled, "cancelled")
        default: self.init(.internal, "\(error)", cause: error as? any Error & Sendable)
        }
    }

    /// Equal codes and messages (the cause is not compared).
    public static func == (a: RPCError, b: RPCError) -> Bool { a.code == b.code && a.message == b.message }

    public var description: String { "\(code): \(message)" }
}

extension Envelope {
    /// A response to request `id` that failed with `error`.
    public static func failure(id: UInt64, _ error: RPCError) -> Envelope {
        Envelope(id: id, status: error.code, errorMessage: error.message)
    }
}
