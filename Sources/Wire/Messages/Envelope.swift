/// The payload of every frame (proto: `switchyard.v1.Envelope`).
public struct Envelope: ProtoMessage, Equatable {
    /// Chosen by the caller; echoed in the response. 0 in answers to frames that could not be read.
    public var id: UInt64
    /// The rpc name, e.g. "Route"; empty in responses.
    public var method: String
    /// Milliseconds the caller will wait, from when the server reads the frame; 0 = no deadline.
    public var timeoutMs: UInt32
    /// Responses only.
    public var status: StatusCode
    /// Responses only: why the request failed.
    public var errorMessage: String
    /// The method's serialized request or response message.
    public var body: [UInt8]

    public init(
        id: UInt64 = 0, method: String = "", timeoutMs: UInt32 = 0, status: StatusCode = .ok,
        errorMessage: String = "", body: [UInt8] = []
    ) {
        self.id = id
        self.method = method
        self.timeoutMs = timeoutMs
        self.status = status
        self.errorMessage = errorMessage
        self.body = body
    }

    /// A response to request `id` that failed with `error`.
    public static func failure(id: UInt64, _ error: RPCError) -> Envelope {
        Envelope(id: id, status: error.code, errorMessage: error.message)
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.Envelope")

    public init(from r: ProtoReader) {
        id = r.read(1)
        method = r.string(2)
        timeoutMs = r.read(3)
        status = r.enumeration(4)
        errorMessage = r.string(5)
        body = r.bytes(6)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, id)
        w.write(2, method)
        w.write(3, timeoutMs)
        w.write(4, status)
        w.write(5, errorMessage)
        w.write(6, body)
    }
}
