/// A completion to produce (proto: `switchyard.v1.CompleteRequest`).
public struct CompleteRequest: ProtoMessage, Equatable {
    public var prompt: String
    /// A configured model, or "auto" (or empty) for the router's choice.
    public var model: String
    /// 0 = the upstream's default.
    public var maxTokens: UInt32
    /// With "auto": the trade-off passed to the router.
    public var tradeoff: Tradeoff?
    /// With "auto": restricts the router's choice.
    public var allowedModels: [String]

    public init(
        prompt: String = "", model: String = "", maxTokens: UInt32 = 0, tradeoff: Tradeoff? = nil,
        allowedModels: [String] = []
    ) {
        self.prompt = prompt
        self.model = model
        self.maxTokens = maxTokens
        self.tradeoff = tradeoff
        self.allowedModels = allowedModels
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.CompleteRequest")

    public init(from r: ProtoReader) {
        prompt = r.string(1)
        model = r.string(2)
        maxTokens = r.read(3)
        tradeoff = Tradeoff.read(from: r, alpha: 4, maxCost: 5)
        allowedModels = r.strings(6)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, prompt)
        w.write(2, model)
        w.write(3, maxTokens)
        tradeoff?.write(to: w, alpha: 4, maxCost: 5)
        w.write(6, allowedModels)
    }
}

/// One upstream call the gateway made (proto: `switchyard.v1.Attempt`).
public struct Attempt: ProtoMessage, Equatable {
    public var model: String
    public var status: StatusCode
    public var errorMessage: String
    public var latencyMs: Double

    public init(model: String = "", status: StatusCode = .ok, errorMessage: String = "", latencyMs: Double = 0) {
        self.model = model
        self.status = status
        self.errorMessage = errorMessage
        self.latencyMs = latencyMs
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.Attempt")

    public init(from r: ProtoReader) {
        model = r.string(1)
        status = r.enumeration(2)
        errorMessage = r.string(3)
        latencyMs = r.read(4)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, model)
        w.write(2, status)
        w.write(3, errorMessage)
        w.write(4, latencyMs)
    }
}

/// A completion and what it cost (proto: `switchyard.v1.CompleteResponse`).
public struct CompleteResponse: ProtoMessage, Equatable {
    public var text: String
    /// The model that produced `text`.
    public var model: String
    public var inputTokens: UInt32
    public var outputTokens: UInt32
    /// True when the token counts were estimated as characters / 4.
    public var tokensEstimated: Bool
    public var costUSD: Double
    public var latencyMs: Double
    /// Every upstream call, in order; more than one means fallbacks were tried.
    public var attempts: [Attempt]
    /// For "auto": the router model version that chose.
    public var routerVersion: String
    /// Replay upstreams only: the recorded quality of this answer in [0, 1].
    public var recordedScore: Double?

    public init(
        text: String = "", model: String = "", inputTokens: UInt32 = 0, outputTokens: UInt32 = 0,
        tokensEstimated: Bool = false, costUSD: Double = 0, latencyMs: Double = 0, attempts: [Attempt] = [],
        routerVersion: String = "", recordedScore: Double? = nil
    ) {
        self.text = text
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tokensEstimated = tokensEstimated
        self.costUSD = costUSD
        self.latencyMs = latencyMs
        self.attempts = attempts
        self.routerVersion = routerVersion
        self.recordedScore = recordedScore
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.CompleteResponse")

    public init(from r: ProtoReader) throws {
        text = r.string(1)
        model = r.string(2)
        inputTokens = r.read(3)
        outputTokens = r.read(4)
        tokensEstimated = r.read(5)
        costUSD = r.read(6)
        latencyMs = r.read(7)
        attempts = try r.messages(8)
        routerVersion = r.string(9)
        recordedScore = r.oneof(10)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, text)
        w.write(2, model)
        w.write(3, inputTokens)
        w.write(4, outputTokens)
        w.write(5, tokensEstimated)
        w.write(6, costUSD)
        w.write(7, latencyMs)
        w.write(8, attempts)
        w.write(9, routerVersion)
        if let recordedScore { w.write(10, recordedScore) }
    }
}
