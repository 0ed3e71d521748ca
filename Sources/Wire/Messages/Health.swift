/// Asks whether a service is serving (proto: `switchyard.v1.HealthRequest`).
public struct HealthRequest: ProtoMessage, Equatable {
    public init() {}
    public static let descriptor = MessageDescriptor("switchyard.v1.HealthRequest")
    public init(from r: ProtoReader) {}
    public func write(to w: ProtoWriter) {}
}

/// Whether a service can take requests (proto: `switchyard.v1.ServingStatus`).
public enum ServingStatus: Int32, ProtoEnum {
    case unknown = 0
    case serving = 1
    case notServing = 2
    public static var unrecognized: ServingStatus { .unknown }
}

/// A service's health (proto: `switchyard.v1.HealthResponse`).
public struct HealthResponse: ProtoMessage, Equatable {
    public var status: ServingStatus
    /// "router", "embed", "coordinator", "gateway", ...
    public var service: String
    public var version: String

    public init(status: ServingStatus = .unknown, service: String = "", version: String = "") {
        self.status = status
        self.service = service
        self.version = version
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.HealthResponse")

    public init(from r: ProtoReader) {
        status = r.enumeration(1)
        service = r.string(2)
        version = r.string(3)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, status)
        w.write(2, service)
        w.write(3, version)
    }
}
