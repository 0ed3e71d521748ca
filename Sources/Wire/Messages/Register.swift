/// A router replica announcing itself to a coordinator (proto: `switchyard.v1.RegisterRequest`).
public struct RegisterRequest: ProtoMessage, Equatable {
    /// "host:port" to forward to.
    public var address: String
    public var replicaID: String

    public init(address: String = "", replicaID: String = "") {
        self.address = address
        self.replicaID = replicaID
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.RegisterRequest")

    public init(from r: ProtoReader) {
        address = r.string(1)
        replicaID = r.string(2)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, address)
        w.write(2, replicaID)
    }
}

/// How many replicas the coordinator now has (proto: `switchyard.v1.RegisterResponse`).
public struct RegisterResponse: ProtoMessage, Equatable {
    public var replicas: UInt32

    public init(replicas: UInt32 = 0) { self.replicas = replicas }

    public static let descriptor = MessageDescriptor("switchyard.v1.RegisterResponse")
    public init(from r: ProtoReader) { replicas = r.read(1) }
    public func write(to w: ProtoWriter) { w.write(1, replicas) }
}
