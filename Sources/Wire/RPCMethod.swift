/// An rpc: the name that goes in the Envelope's `method`, and its request and response types.
/// Every rpc of proto/ is in `Methods` (generated from the `service` blocks).
public struct RPCMethod<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}
