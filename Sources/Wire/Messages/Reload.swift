/// Loads a new router model, or re-reads the current one (proto: `switchyard.v1.ReloadRequest`).
public struct ReloadRequest: ProtoMessage, Equatable {
    /// File to load; empty = the file the service was started with.
    public var path: String

    public init(path: String = "") { self.path = path }

    public static let descriptor = MessageDescriptor("switchyard.v1.ReloadRequest")
    public init(from r: ProtoReader) { path = r.string(1) }
    public func write(to w: ProtoWriter) { w.write(1, path) }
}

/// The version now serving and the one it replaced (proto: `switchyard.v1.ReloadResponse`).
public struct ReloadResponse: ProtoMessage, Equatable {
    public var version: String
    public var previousVersion: String

    public init(version: String = "", previousVersion: String = "") {
        self.version = version
        self.previousVersion = previousVersion
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.ReloadResponse")

    public init(from r: ProtoReader) {
        version = r.string(1)
        previousVersion = r.string(2)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, version)
        w.write(2, previousVersion)
    }
}
