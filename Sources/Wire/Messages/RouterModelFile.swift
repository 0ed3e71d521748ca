/// A trained cluster router as stored on disk (proto: `switchyard.v1.RouterModelFile`).
///
/// Plain numbers and names; `RouterFile` turns it into a `ClusterRouterModel` after checking them.
public struct RouterModelFileMessage: ProtoMessage, Equatable {
    public var formatVersion: UInt32 = 0
    public var version: String = ""
    public var embedder: EmbedderSettingsMessage?
    public var models: [RoutedModelMessage] = []
    public var clusters: UInt32 = 0
    public var dimension: UInt32 = 0
    public var centroids: [Float] = []
    public var clusterSizes: [UInt32] = []
    public var performance: [Double] = []
    public var cost: [Double] = []
    public var topK: UInt32 = 0
    public var beta: Double = 0
    public var trainedOn: String = ""
    public var normalization: String = ""

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.RouterModelFile")

    public init(from r: ProtoReader) throws {
        formatVersion = r.read(1)
        version = r.string(2)
        embedder = try r.message(3)
        models = try r.messages(4)
        clusters = r.read(5)
        dimension = r.read(6)
        centroids = r.repeated(7)
        clusterSizes = r.repeated(8)
        performance = r.repeated(9)
        cost = r.repeated(10)
        topK = r.read(11)
        beta = r.read(12)
        trainedOn = r.string(13)
        normalization = r.string(14)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, formatVersion)
        w.write(2, version)
        w.write(3, embedder)
        w.write(4, models)
        w.write(5, clusters)
        w.write(6, dimension)
        w.write(7, centroids)
        w.write(8, clusterSizes)
        w.write(9, performance)
        w.write(10, cost)
        w.write(11, topK)
        w.write(12, beta)
        w.write(13, trainedOn)
        w.write(14, normalization)
    }
}

/// How a router's prompts are embedded (proto: `switchyard.v1.EmbedderSettings`).
public struct EmbedderSettingsMessage: ProtoMessage, Equatable {
    public var kind: String = ""
    public var dimension: UInt32 = 0
    public var charNGramMin: UInt32 = 0
    public var charNGramMax: UInt32 = 0
    public var charWeight: Float = 0

    public init() {}

    public static let descriptor = MessageDescriptor("switchyard.v1.EmbedderSettings")

    public init(from r: ProtoReader) {
        kind = r.string(1)
        dimension = r.read(2)
        charNGramMin = r.read(3)
        charNGramMax = r.read(4)
        charWeight = r.read(5)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, kind)
        w.write(2, dimension)
        w.write(3, charNGramMin)
        w.write(4, charNGramMax)
        w.write(5, charWeight)
    }
}

/// A model a router chooses among, with its price when known (proto: `switchyard.v1.RoutedModel`).
public struct RoutedModelMessage: ProtoMessage, Equatable {
    public var name: String = ""
    public var pricing: ModelPriceEntryMessage?

    public init(name: String = "", pricing: ModelPriceEntryMessage? = nil) {
        self.name = name
        self.pricing = pricing
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.RoutedModel")

    public init(from r: ProtoReader) throws {
        name = r.string(1)
        pricing = try r.message(2)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, name)
        w.write(2, pricing)
    }
}

/// Dollars per 1M tokens and their source (proto: `switchyard.v1.ModelPriceEntry`).
public struct ModelPriceEntryMessage: ProtoMessage, Equatable {
    public var inputPerMillion: Double = 0
    public var outputPerMillion: Double = 0
    public var source: String = ""

    public init(inputPerMillion: Double = 0, outputPerMillion: Double = 0, source: String = "") {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.source = source
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.ModelPriceEntry")

    public init(from r: ProtoReader) {
        inputPerMillion = r.read(1)
        outputPerMillion = r.read(2)
        source = r.string(3)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, inputPerMillion)
        w.write(2, outputPerMillion)
        w.write(3, source)
    }
}
