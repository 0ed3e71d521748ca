/// A prompt (or its embedding) to route (proto: `switchyard.v1.RouteRequest`).
public struct RouteRequest: ProtoMessage, Equatable {
    /// The prompt; ignored when `embedding` is set.
    public var prompt: String
    /// A precomputed embedding in the router model's embedder and dimension.
    public var embedding: [Float]
    /// Unset: the router model's default alpha.
    public var tradeoff: Tradeoff?
    /// Empty: every model of the router model.
    public var allowedModels: [String]

    public init(
        prompt: String = "", embedding: [Float] = [], tradeoff: Tradeoff? = nil, allowedModels: [String] = []
    ) {
        self.prompt = prompt
        self.embedding = embedding
        self.tradeoff = tradeoff
        self.allowedModels = allowedModels
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.RouteRequest")

    public init(from r: ProtoReader) {
        prompt = r.string(1)
        embedding = r.repeated(2)
        tradeoff = Tradeoff.read(from: r, alpha: 3, maxCost: 4)
        allowedModels = r.strings(5)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, prompt)
        w.write(2, embedding)
        tradeoff?.write(to: w, alpha: 3, maxCost: 4)
        w.write(5, allowedModels)
    }
}

/// One model's standing in a decision (proto: `switchyard.v1.ModelScore`).
public struct ModelScore: ProtoMessage, Equatable {
    public var model: String
    /// What the decision ranked by; higher is better.
    public var score: Double
    /// Predicted quality in [0, 1].
    public var predictedQuality: Double
    /// Predicted dollars for one request.
    public var predictedCostUSD: Double

    public init(model: String = "", score: Double = 0, predictedQuality: Double = 0, predictedCostUSD: Double = 0) {
        self.model = model
        self.score = score
        self.predictedQuality = predictedQuality
        self.predictedCostUSD = predictedCostUSD
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.ModelScore")

    public init(from r: ProtoReader) {
        model = r.string(1)
        score = r.read(2)
        predictedQuality = r.read(3)
        predictedCostUSD = r.read(4)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, model)
        w.write(2, score)
        w.write(3, predictedQuality)
        w.write(4, predictedCostUSD)
    }
}

/// A cluster that took part in a decision (proto: `switchyard.v1.ClusterHit`).
public struct ClusterHit: ProtoMessage, Equatable {
    public var cluster: UInt32
    public var distance: Float
    /// Share in the decision (softmax over the nearest clusters).
    public var weight: Float

    public init(cluster: UInt32 = 0, distance: Float = 0, weight: Float = 0) {
        self.cluster = cluster
        self.distance = distance
        self.weight = weight
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.ClusterHit")

    public init(from r: ProtoReader) {
        cluster = r.read(1)
        distance = r.read(2)
        weight = r.read(3)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, cluster)
        w.write(2, distance)
        w.write(3, weight)
    }
}

/// The router's decision (proto: `switchyard.v1.RouteResponse`).
public struct RouteResponse: ProtoMessage, Equatable {
    /// The chosen model.
    public var model: String
    /// Every allowed model, best first.
    public var scores: [ModelScore]
    /// The clusters that decided, nearest first.
    public var clusters: [ClusterHit]
    public var routerVersion: String
    /// The alpha used; 0 in budget mode.
    public var alpha: Double
    /// The replica that answered.
    public var replica: String

    public init(
        model: String = "", scores: [ModelScore] = [], clusters: [ClusterHit] = [], routerVersion: String = "",
        alpha: Double = 0, replica: String = ""
    ) {
        self.model = model
        self.scores = scores
        self.clusters = clusters
        self.routerVersion = routerVersion
        self.alpha = alpha
        self.replica = replica
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.RouteResponse")

    public init(from r: ProtoReader) throws {
        model = r.string(1)
        scores = try r.messages(2)
        clusters = try r.messages(3)
        routerVersion = r.string(4)
        alpha = r.read(5)
        replica = r.string(6)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, model)
        w.write(2, scores)
        w.write(3, clusters)
        w.write(4, routerVersion)
        w.write(5, alpha)
        w.write(6, replica)
    }
}
