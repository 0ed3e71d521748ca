/// An rpc: the name that goes in the Envelope's `method`, and its request and response types.
public struct RPCMethod<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// Every rpc of proto/switchyard/v1/switchyard.proto.
public enum Methods {
    public static let health = RPCMethod<HealthRequest, HealthResponse>("Health")
    public static let status = RPCMethod<StatusRequest, StatusResponse>("Status")
    public static let reload = RPCMethod<ReloadRequest, ReloadResponse>("Reload")
    public static let embed = RPCMethod<EmbedRequest, EmbedResponse>("Embed")
    public static let route = RPCMethod<RouteRequest, RouteResponse>("Route")
    public static let register = RPCMethod<RegisterRequest, RegisterResponse>("Register")
    public static let complete = RPCMethod<CompleteRequest, CompleteResponse>("Complete")
}
