import Foundation

/// What the gateway keeps of one answered (or failed) request: enough to see how routing did,
/// to explain a decision, and to learn from the feedback that comes later.
public struct OutcomeRecord: Sendable, Equatable, Codable {
    /// The request id (`x-switchyard-request-id`, the chat completion's `id`).
    public var id: String
    /// When the request arrived, milliseconds since 1970 (UTC).
    public var createdMs: Int64
    /// The API key's name that made it (nil: a front door without keys, or the protobuf API).
    public var key: String?
    /// The router of the router file that decided, and its version (nil: a named model).
    public var router: String?
    public var routerVersion: String?
    /// The models the router ranked, best first, with what it predicted of each.
    public var candidates: [Candidate]
    /// The model that answered; nil when none did.
    public var model: String?
    /// Every upstream call made, in order (more than one: fallbacks).
    public var attempts: [Attempt]
    /// The answer's status (gRPC's numbering; 0 = answered).
    public var status: Int32
    /// What the answer cost, in dollars (booked against the key's daily budget).
    public var costUSD: Double
    public var inputTokens: UInt32
    public var outputTokens: UInt32
    /// True when the token counts were estimated from characters.
    public var tokensEstimated: Bool
    /// Time to the first streamed token, milliseconds (nil: not streamed, or nothing streamed).
    public var firstTokenMs: Double?
    /// From arrival to the last byte of the answer, milliseconds.
    public var latencyMs: Double
    public var streamed: Bool
    /// The routed text's embedding, as the router saw it (`--record-prompts embedding`, the default).
    public var embedding: [Float]?
    /// The routed text itself (`--record-prompts text` only).
    public var prompt: String?
    /// True when the router explored: chose another model than its estimates' best, to learn.
    public var explored: Bool
    /// Why the router decided as it did, beyond the candidates (nil: a named model, or a record
    /// written before schema version 4).
    public var decision: Decision?

    /// What decided a routed request, for `GET /v1/decisions/{id}`: the clusters, the trade-off
    /// and the limits the ranking was filtered by, exploration, the trace.
    public struct Decision: Sendable, Equatable, Codable {
        /// The nearest clusters that decided (cluster routers), nearest first.
        public var clusters: [Cluster]
        /// The trade-off the request asked for ("alpha=0.9", "max_cost_usd=0.001", ...; nil: the
        /// router's default), and the alpha the router used (nil: not an alpha decision).
        public var tradeoff: String?
        public var alpha: Double?
        /// RouteLLM routers: the strong-win threshold used and the prompt's strong-win score.
        public var threshold: Double?
        public var strongWinScore: Double?
        /// The request's latency cap (ms) and the allowed models it named (empty: all).
        public var maxLatencyMs: Double?
        public var allowedModels: [String]
        /// What the key had left of its daily budget when decided, and the ranked models dropped
        /// because the most the request could cost on them did not fit it.
        public var budgetLeftUSD: Double?
        public var droppedForBudget: [String]
        /// The share of decisions the gateway let explore for this request (0: it could not),
        /// and why that share.
        public var exploreShare: Double
        public var exploreReason: String
        /// The router replica that decided, and the embedder fallback it used (nil: none).
        public var replica: String?
        public var embeddingFallback: String?
        /// The W3C trace id of the request.
        public var traceID: String?

        public struct Cluster: Sendable, Equatable, Codable {
            public var cluster: Int
            public var distance: Double
            public var weight: Double

            public init(cluster: Int, distance: Double, weight: Double) {
                (self.cluster, self.distance, self.weight) = (cluster, distance, weight)
            }
        }

        public init(
            clusters: [Cluster] = [], tradeoff: String? = nil, alpha: Double? = nil, threshold: Double? = nil,
            strongWinScore: Double? = nil, maxLatencyMs: Double? = nil, allowedModels: [String] = [], budgetLeftUSD: Double? = nil,
            droppedForBudget: [String] = [], exploreShare: Double = 0, exploreReason: String = "", replica: String? = nil,
            embeddingFallback: String? = nil, traceID: String? = nil
        ) {
            self.clusters = clusters
            self.tradeoff = tradeoff
            self.alpha = alpha
            self.threshold = threshold
            self.strongWinScore = strongWinScore
            self.maxLatencyMs = maxLatencyMs
            self.allowedModels = allowedModels
            self.budgetLeftUSD = budgetLeftUSD
            self.droppedForBudget = droppedForBudget
            self.exploreShare = exploreShare
            self.exploreReason = exploreReason
            self.replica = replica
            self.embeddingFallback = embeddingFallback
            self.traceID = traceID
        }

        /// The nearest cluster, the one a record's quality is counted under per cluster.
        public var nearestCluster: Int? { clusters.first?.cluster }
    }

    /// A ranked model and the router's predictions for it.
    public struct Candidate: Sendable, Equatable, Codable {
        public var model: String
        public var predictedQuality: Double
        public var predictedCostUSD: Double
        /// The score the ranking used (higher is better).
        public var score: Double

        public init(model: String, predictedQuality: Double, predictedCostUSD: Double, score: Double) {
            (self.model, self.predictedQuality, self.predictedCostUSD, self.score) = (model, predictedQuality, predictedCostUSD, score)
        }
    }

    /// One upstream call.
    public struct Attempt: Sendable, Equatable, Codable {
        public var model: String
        /// gRPC's numbering; 0 = it answered.
        public var status: Int32
        public var error: String?
        public var latencyMs: Double

        public init(model: String, status: Int32, error: String? = nil, latencyMs: Double) {
            (self.model, self.status, self.error, self.latencyMs) = (model, status, error, latencyMs)
        }
    }

    public init(
        id: String, createdMs: Int64, key: String? = nil, router: String? = nil, routerVersion: String? = nil,
        candidates: [Candidate] = [], model: String? = nil, attempts: [Attempt] = [], status: Int32 = 0, costUSD: Double = 0,
        inputTokens: UInt32 = 0, outputTokens: UInt32 = 0, tokensEstimated: Bool = false, firstTokenMs: Double? = nil,
        latencyMs: Double = 0, streamed: Bool = false, embedding: [Float]? = nil, prompt: String? = nil,
        explored: Bool = false, decision: Decision? = nil
    ) {
        self.explored = explored
        self.decision = decision
        self.id = id
        self.createdMs = createdMs
        self.key = key
        self.router = router
        self.routerVersion = routerVersion
        self.candidates = candidates
        self.model = model
        self.attempts = attempts
        self.status = status
        self.costUSD = costUSD
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tokensEstimated = tokensEstimated
        self.firstTokenMs = firstTokenMs
        self.latencyMs = latencyMs
        self.streamed = streamed
        self.embedding = embedding
        self.prompt = prompt
    }
}

/// A score for an answer: from the application (its user, its checks) or from an LLM judge.
public struct FeedbackRecord: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable, CaseIterable {
        case user
        case judge
    }

    /// The request id it rates.
    public var id: String
    /// On [0, 1]: 0 the worst, 1 the best.
    public var score: Double
    public var comment: String?
    public var source: Source
    /// The API key's name that sent it (nil: no keys, or the judge).
    public var key: String?
    public var createdMs: Int64

    public init(id: String, score: Double, comment: String? = nil, source: Source = .user, key: String? = nil, createdMs: Int64) {
        (self.id, self.score, self.comment, self.source, self.key, self.createdMs) = (id, score, comment, source, key, createdMs)
    }
}

/// How a feedback write went.
public enum FeedbackOutcome: Sendable, Equatable {
    /// The first score of its source for the request.
    case recorded
    /// It replaced an earlier score of the same source (the last one counts).
    case replaced
}

extension OutcomeRecord {
    /// The embedding as little-endian float32 bytes, as the stores keep it.
    var embeddingBytes: [UInt8]? {
        embedding.map { vector in vector.withUnsafeBytes { Array($0) } }
    }

    static func embedding(fromBytes bytes: [UInt8]?) -> [Float]? {
        guard let bytes, !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in (0..<bytes.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }

    /// The candidates as compact JSON text, as the stores keep them (written by hand: this runs
    /// for every answer, and Foundation's encoder costs tens of microseconds).
    var candidatesJSON: String {
        var out = "["
        for (i, c) in candidates.enumerated() {
            if i > 0 { out += "," }
            out += #"{"model":\#(Self.quoted(c.model)),"predictedCostUSD":\#(Self.number(c.predictedCostUSD)),"#
            out += #""predictedQuality":\#(Self.number(c.predictedQuality)),"score":\#(Self.number(c.score))}"#
        }
        return out + "]"
    }

    /// The attempts as compact JSON text.
    var attemptsJSON: String {
        var out = "["
        for (i, a) in attempts.enumerated() {
            if i > 0 { out += "," }
            out += #"{"error":\#(a.error.map(Self.quoted) ?? "null"),"latencyMs":\#(Self.number(a.latencyMs)),"#
            out += #""model":\#(Self.quoted(a.model)),"status":\#(a.status)}"#
        }
        return out + "]"
    }

    /// The decision as compact JSON text (nil without one), written by hand like the candidates.
    var decisionJSON: String? {
        guard let d = decision else { return nil }
        func optional(_ value: Double?) -> String { value.map(Self.number) ?? "null" }
        func strings(_ values: [String]) -> String { "[" + values.map(Self.quoted).joined(separator: ",") + "]" }
        var out = #"{"clusters":["#
        for (i, c) in d.clusters.enumerated() {
            if i > 0 { out += "," }
            out += #"{"cluster":\#(c.cluster),"distance":\#(Self.number(c.distance)),"weight":\#(Self.number(c.weight))}"#
        }
        out += #"],"tradeoff":\#(d.tradeoff.map(Self.quoted) ?? "null"),"alpha":\#(optional(d.alpha)),"#
        out += #""threshold":\#(optional(d.threshold)),"strongWinScore":\#(optional(d.strongWinScore)),"#
        out += #""maxLatencyMs":\#(optional(d.maxLatencyMs)),"allowedModels":\#(strings(d.allowedModels)),"#
        out += #""budgetLeftUSD":\#(optional(d.budgetLeftUSD)),"droppedForBudget":\#(strings(d.droppedForBudget)),"#
        out += #""exploreShare":\#(Self.number(d.exploreShare)),"exploreReason":\#(Self.quoted(d.exploreReason)),"#
        out += #""replica":\#(d.replica.map(Self.quoted) ?? "null"),"embeddingFallback":\#(d.embeddingFallback.map(Self.quoted) ?? "null"),"#
        out += #""traceID":\#(d.traceID.map(Self.quoted) ?? "null")}"#
        return out
    }

    static func decoded<T: Decodable>(_ type: T.Type, from text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(type, from: Data($0.utf8)) }
    }

    private static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "0" }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Milliseconds since 1970 now.
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// The UTC day (days since 1970) of `ms`.
    public static func day(ofMs ms: Int64) -> Int { Int(ms / 86_400_000) }
}
