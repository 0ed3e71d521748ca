/// Asks a service for its counters (proto: `switchyard.v1.StatusRequest`).
public struct StatusRequest: ProtoMessage, Equatable {
    public init() {}
    public static let descriptor = MessageDescriptor("switchyard.v1.StatusRequest")
    public init(from r: ProtoReader) {}
    public func write(to w: ProtoWriter) {}
}

/// A service's counters; the part for its kind of service is set (proto: `switchyard.v1.StatusResponse`).
public struct StatusResponse: ProtoMessage, Equatable {
    public var service: String = ""
    public var version: String = ""
    public var uptimeSeconds: Double = 0
    /// Requests answered since start, and how many with a status other than OK.
    public var requestsTotal: UInt64 = 0
    public var errorsTotal: UInt64 = 0
    public var openConnections: UInt32 = 0
    /// "host:port" the service listens on.
    public var address: String = ""
    public var router: RouterStatus?
    public var coordinator: CoordinatorStatus?
    public var gateway: GatewayStatus?
    public var embedder: EmbedderStatus?
    /// "host:port" of the Prometheus /metrics endpoint; empty when there is none.
    public var metricsAddress: String = ""

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.StatusResponse")

    public init(from r: ProtoReader) throws {
        service = r.string(1)
        version = r.string(2)
        uptimeSeconds = r.read(3)
        requestsTotal = r.read(4)
        errorsTotal = r.read(5)
        openConnections = r.read(6)
        address = r.string(7)
        router = try r.message(10)
        coordinator = try r.message(11)
        gateway = try r.message(12)
        embedder = try r.message(13)
        metricsAddress = r.string(14)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, service)
        w.write(2, version)
        w.write(3, uptimeSeconds)
        w.write(4, requestsTotal)
        w.write(5, errorsTotal)
        w.write(6, openConnections)
        w.write(7, address)
        w.write(10, router)
        w.write(11, coordinator)
        w.write(12, gateway)
        w.write(13, embedder)
        w.write(14, metricsAddress)
    }
}

/// A router's loaded model (proto: `switchyard.v1.RouterStatus`).
public struct RouterStatus: ProtoMessage, Equatable {
    public var routerVersion: String = ""
    public var clusters: UInt32 = 0
    public var dimension: UInt32 = 0
    public var models: [String] = []
    /// e.g. "hash-v1:384".
    public var embedder: String = ""
    public var reloads: UInt64 = 0
    public var modelPath: String = ""

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.RouterStatus")

    public init(from r: ProtoReader) {
        routerVersion = r.string(1)
        clusters = r.read(2)
        dimension = r.read(3)
        models = r.strings(4)
        embedder = r.string(5)
        reloads = r.read(6)
        modelPath = r.string(7)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, routerVersion)
        w.write(2, clusters)
        w.write(3, dimension)
        w.write(4, models)
        w.write(5, embedder)
        w.write(6, reloads)
        w.write(7, modelPath)
    }
}

/// One router replica behind a coordinator (proto: `switchyard.v1.ReplicaStatus`).
public struct ReplicaStatus: ProtoMessage, Equatable {
    public var address: String = ""
    public var healthy: Bool = false
    public var forwarded: UInt64 = 0
    public var failures: UInt64 = 0
    /// It registered itself rather than being listed on the command line.
    public var registered: Bool = false

    public init(address: String = "", healthy: Bool = false, forwarded: UInt64 = 0, failures: UInt64 = 0, registered: Bool = false) {
        self.address = address
        self.healthy = healthy
        self.forwarded = forwarded
        self.failures = failures
        self.registered = registered
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.ReplicaStatus")

    public init(from r: ProtoReader) {
        address = r.string(1)
        healthy = r.read(2)
        forwarded = r.read(3)
        failures = r.read(4)
        registered = r.read(5)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, address)
        w.write(2, healthy)
        w.write(3, forwarded)
        w.write(4, failures)
        w.write(5, registered)
    }
}

/// A coordinator's replicas (proto: `switchyard.v1.CoordinatorStatus`).
public struct CoordinatorStatus: ProtoMessage, Equatable {
    public var replicas: [ReplicaStatus] = []
    /// Forwards retried on another replica.
    public var retries: UInt64 = 0

    public init(replicas: [ReplicaStatus] = [], retries: UInt64 = 0) {
        self.replicas = replicas
        self.retries = retries
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.CoordinatorStatus")

    public init(from r: ProtoReader) throws {
        replicas = try r.messages(1)
        retries = r.read(2)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, replicas)
        w.write(2, retries)
    }
}

/// Usage and cost of one model at the gateway (proto: `switchyard.v1.ModelUsage`).
public struct ModelUsage: ProtoMessage, Equatable {
    public var model: String = ""
    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    public var inputTokens: UInt64 = 0
    public var outputTokens: UInt64 = 0
    public var costUSD: Double = 0

    public init(model: String = "") { self.model = model }

    public static let descriptor = MessageDescriptor("switchyard.v1.ModelUsage")

    public init(from r: ProtoReader) {
        model = r.string(1)
        requests = r.read(2)
        failures = r.read(3)
        inputTokens = r.read(4)
        outputTokens = r.read(5)
        costUSD = r.read(6)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, model)
        w.write(2, requests)
        w.write(3, failures)
        w.write(4, inputTokens)
        w.write(5, outputTokens)
        w.write(6, costUSD)
    }
}

/// The gateway's cost accounting (proto: `switchyard.v1.GatewayStatus`).
public struct GatewayStatus: ProtoMessage, Equatable {
    public var totalCostUSD: Double = 0
    public var models: [ModelUsage] = []
    /// Requests answered by a fallback after an upstream failed.
    public var fallbacks: UInt64 = 0
    /// Requests with model "auto".
    public var routed: UInt64 = 0

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.GatewayStatus")

    public init(from r: ProtoReader) throws {
        totalCostUSD = r.read(1)
        models = try r.messages(2)
        fallbacks = r.read(3)
        routed = r.read(4)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, totalCostUSD)
        w.write(2, models)
        w.write(3, fallbacks)
        w.write(4, routed)
    }
}

/// The embedding service's embedder and cache (proto: `switchyard.v1.EmbedderStatus`).
public struct EmbedderStatus: ProtoMessage, Equatable {
    public var embedder: String = ""
    public var dimension: UInt32 = 0
    public var cacheHits: UInt64 = 0
    public var cacheMisses: UInt64 = 0
    public var cacheEntries: UInt32 = 0

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.EmbedderStatus")

    public init(from r: ProtoReader) {
        embedder = r.string(1)
        dimension = r.read(2)
        cacheHits = r.read(3)
        cacheMisses = r.read(4)
        cacheEntries = r.read(5)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, embedder)
        w.write(2, dimension)
        w.write(3, cacheHits)
        w.write(4, cacheMisses)
        w.write(5, cacheEntries)
    }
}
