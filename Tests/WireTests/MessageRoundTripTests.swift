import Testing
@testable import Wire

/// One populated value of every message type, with non-ASCII text and extreme numbers.
let populatedMessages: [any ProtoMessage & Equatable] = [
    Envelope(id: .max, method: "Route", timeoutMs: 250, status: .deadlineExceeded, errorMessage: "zu spät ⏰", body: [0, 1, 255]),
    Envelope(
        id: 3, method: "Route", body: [1], authToken: "t",
        trace: TraceContext(
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=1",
            requestID: "chatcmpl-syVcyZ9bqVGp3oCaDZlz8dat")),
    HealthRequest(),
    HealthResponse(status: .serving, service: "router", version: "0.1.0"),
    StatusRequest(),
    {
        var status = StatusResponse()
        status.service = "gateway"
        status.version = "0.1.0"
        status.uptimeSeconds = 12.5
        status.requestsTotal = .max
        status.errorsTotal = 3
        status.openConnections = 7
        status.address = "[::1]:7000"
        var router = RouterStatus()
        router.routerVersion = "abc"
        router.clusters = 64
        router.dimension = 384
        router.models = ["gpt-4", "mixtral"]
        router.embedder = "hash-v1:384"
        router.reloads = 2
        router.modelPath = "/tmp/路由.bin"
        status.router = router
        status.coordinator = CoordinatorStatus(
            replicas: [ReplicaStatus(address: "a:1", healthy: true, forwarded: 5, failures: 1, registered: true)],
            retries: 9)
        var gateway = GatewayStatus()
        gateway.totalCostUSD = 0.125
        var usage = ModelUsage(model: "gpt-4")
        usage.requests = 4
        usage.failures = 1
        usage.inputTokens = 100
        usage.outputTokens = 200
        usage.costUSD = 0.01
        gateway.models = [usage]
        gateway.fallbacks = 1
        gateway.routed = 3
        gateway.latencies = [ModelLatency(model: "gpt-4", p50Ms: 812.5, p90Ms: 2100, firstTokenP50Ms: 95, firstTokenP90Ms: 310, samples: 41.5)]
        gateway.store = StoreStatus(
            location: "sqlite:/var/lib/switchyard/outcomes.sqlite", written: 1_000_000, batches: 5000, pending: 3, refused: 2, failed: 1,
            spilled: -0, meanCommitMs: 0.42, recordsLost: 1)
        gateway.judge = JudgeStatus(
            model: "gpt-4", sample: 0.05, asked: 50, graded: 47, unparseable: 2, failed: 1, spentTodayUSD: 0.75, dailyBudgetUSD: 5)
        status.gateway = gateway
        var embedder = EmbedderStatus()
        embedder.embedder = "hash-v1:384"
        embedder.dimension = 384
        embedder.cacheHits = 10
        embedder.cacheMisses = 2
        embedder.cacheEntries = 2
        status.embedder = embedder
        return status
    }(),
    {
        var status = StatusResponse()
        status.service = "learner"
        status.learner = LearnerStatus(
            holdsLease: true, leaseHolder: "host-a:4242:17", learned: .max, skipped: 3, servingVersion: "v+learned.7",
            pinnedVersion: "v+learned.5", published: 7, models: ["gpt-4", "mixtral"], pushErrors: ["10.0.0.2:7300: UNAVAILABLE: gone"])
        return status
    }(),
    ReloadRequest(routerFile: [0x53, 0x59, 0, 255]),
    ReloadRequest(path: "router.bin"),
    ReloadResponse(version: "v2", previousVersion: "v1"),
    ReloadResponse(replicas: [
        ReplicaReload(address: "10.0.0.2:7201", version: "v2", previousVersion: "v1"), ReplicaReload(address: "10.0.0.3:7201", error: "NOT_FOUND: gone"),
    ]),
    EmbedRequest(texts: ["hello", "", "naïve café 🚀", "日本語のテキスト"]),
    EmbedResponse(
        vectors: [Vector(values: [1, -2.5, .greatestFiniteMagnitude]), Vector(), Vector(values: [0.25])], embedder: "hash-v1:3",
        dimension: 3),
    RouteRequest(prompt: "Über alles? 🤔", embedding: [0.5, -0.5], tradeoff: .alpha(0.75), allowedModels: ["a", "b"]),
    RouteRequest(prompt: "budget", tradeoff: .maxCostUSD(0.002)),
    RouteRequest(
        prompt: "fast, please", maxLatencyMs: 500, includeEmbedding: true,
        modelLatencies: [ModelLatency(model: "a", p50Ms: 120, p90Ms: 300), ModelLatency(model: "b", p50Ms: 900, samples: 3)],
        exploreShare: 0.1),
    FeedbackRequest(id: "chatcmpl-sy0123456789abcdefghijkl", score: 0.75, comment: "gut, aber zu lang ✍️", apiKey: "sk-team-a-0123456789"),
    FeedbackResponse(replaced: true),
    RouteRequest(prompt: "zero alpha is not unset", tradeoff: .alpha(0)),
    RouteResponse(
        model: "gpt-4",
        scores: [ModelScore(model: "gpt-4", score: 0.9, predictedQuality: 0.8, predictedCostUSD: 0.01)],
        clusters: [ClusterHit(cluster: 63, distance: 0.5, weight: 1)], routerVersion: "v1", alpha: 1,
        replica: "router-1", embedding: [0.125, -0.5, 1], explored: true),
    RegisterRequest(address: "127.0.0.1:7201", replicaID: "r1"),
    RegisterResponse(replicas: 3),
    CompleteRequest(prompt: "Write ✍️", model: "auto", maxTokens: 256, tradeoff: .maxCostUSD(0.5), allowedModels: ["x"]),
    CompleteRequest(
        model: "auto", router: "knn", maxLatencyMs: 900,
        messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "tool", content: "42", name: "calc", toolCallID: "call_1")],
        parametersJson: #"{"temperature": 0.2}"#),
    CompleteResponse(
        text: "Réponse", model: "mixtral", inputTokens: 12, outputTokens: 34, tokensEstimated: true, costUSD: 0.0001,
        latencyMs: 12.5, attempts: [Attempt(model: "gpt-4", status: .unavailable, errorMessage: "HTTP 500", latencyMs: 3)],
        routerVersion: "v1", recordedScore: 0, requestID: "chatcmpl-sy0123456789abcdefghijkl"),
    CompleteResponse(text: "no score"),
]

/// Each Swift message type at its zero value.
let emptyMessages: [any ProtoMessage & Equatable] = [
    Envelope(), HealthRequest(), HealthResponse(), StatusRequest(), StatusResponse(), ReloadRequest(),
    ReloadResponse(), EmbedRequest(), EmbedResponse(), RouteRequest(), RouteResponse(), RegisterRequest(),
    RegisterResponse(), CompleteRequest(), CompleteResponse(),
]

/// A router file message with every field set.
let populatedRouterFile = RouterModelFile(
    formatVersion: 1, version: "k2-s42", embedder: EmbedderSettings(kind: "hash", dimension: 2, charNGramMin: 3, charNGramMax: 5, charWeight: 0.5),
    models: [RoutedModel(name: "a", pricing: ModelPriceEntry(inputPerMillion: 1, outputPerMillion: 2, source: "https://x")), RoutedModel(name: "b")],
    clusters: 2, dimension: 2, centroids: [1, 0, 0, 1], clusterSizes: [3, 4], performance: [0.5, 0.25, 0.75, 1], cost: [1, 2, 3, 4],
    topK: 2, beta: 9, trainedOn: "mmlu", normalization: "global",
    routers: [TrainedRouter(
        name: "knn", kind: "knn", spec: "knn(neighbors=20)", tensors: [Tensor(name: "scores", rows: 1, columns: 2, values: [0.5, 1])],
        numbers: [NamedNumber(name: "neighbors", value: 20)], texts: [NamedText(name: "note", value: "ü")], calibration: [0, 0.5, 1],
        calibratedOn: "mmlu")],
    defaultRouter: "knn", crossValidation: [CrossValidationRow(spec: "knn", metric: "APGR", mean: 0.6, min: 0.5, max: 0.7)])

/// Whether `message` decodes back to itself, and its size is what it serializes to.
func roundTrips<M: ProtoMessage & Equatable>(_ message: M) throws -> Bool {
    let bytes = message.serializedBytes()
    return try M(serialized: bytes) == message && message.serializedSize == bytes.count
}

@Suite struct MessageRoundTripTests {
    @Test(arguments: populatedMessages.indices)
    func populatedMessageRoundTrips(index: Int) throws {
        #expect(try roundTrips(populatedMessages[index]), "\(type(of: populatedMessages[index]))")
    }

    @Test(arguments: emptyMessages.indices)
    func emptyMessageRoundTripsToNoBytes(index: Int) throws {
        let message = emptyMessages[index]
        #expect(try roundTrips(message))
        #expect(message.serializedBytes().isEmpty, "proto3 zero values are not written")
    }

    @Test func routerFileRoundTrips() throws {
        #expect(try roundTrips(populatedRouterFile))
    }

    @Test func everyMessageTypeIsPopulatedInSomeTest() {
        let covered = Set((populatedMessages + [populatedRouterFile]).map { type(of: $0).protoName })
        let nested: Set = [
            "switchyard.v1.RouterStatus", "switchyard.v1.ReplicaStatus", "switchyard.v1.CoordinatorStatus",
            "switchyard.v1.ModelUsage", "switchyard.v1.GatewayStatus", "switchyard.v1.EmbedderStatus", "switchyard.v1.Vector",
            "switchyard.v1.ModelScore", "switchyard.v1.ClusterHit", "switchyard.v1.Attempt", "switchyard.v1.EmbedderSettings",
            "switchyard.v1.RoutedModel", "switchyard.v1.ModelPriceEntry", "switchyard.v1.TrainedRouter", "switchyard.v1.Tensor",
            "switchyard.v1.NamedNumber", "switchyard.v1.NamedText", "switchyard.v1.CrossValidationRow", "switchyard.v1.ChatMessage",
            "switchyard.v1.ModelLatency", "switchyard.v1.StoreStatus", "switchyard.v1.JudgeStatus", "switchyard.v1.ReplicaReload",
            "switchyard.v1.LearnerStatus", "switchyard.v1.TraceContext",
        ]
        #expect(covered.union(nested) == Set(protoMessageTypes.keys))
    }

    @Test func unsetOneofIsNotZero() throws {
        let decoded = try RouteRequest(serialized: RouteRequest(prompt: "p").serializedBytes())
        #expect(decoded.tradeoff == nil)
        let zero = try RouteRequest(serialized: RouteRequest(tradeoff: .alpha(0)).serializedBytes())
        #expect(zero.tradeoff == .alpha(0))
    }

    @Test func unknownEnumNumberDecodesAsUnrecognized() throws {
        // Field 4 (status), varint 99: a status from a newer peer.
        let decoded = try Envelope(serialized: [0x20, 99])
        #expect(decoded.status == .unknown)
    }

    @Test func largeEmbeddingRoundTrips() throws {
        let vector = (0..<384).map { Float($0) * 0.001 - 0.2 }
        let response = EmbedResponse(
            vectors: Array(repeating: Vector(values: vector), count: 64), embedder: "hash-v1:384", dimension: 384)
        #expect(try roundTrips(response))
    }

    @Test func garbageDoesNotDecode() {
        // A length-delimited field claiming more bytes than there are.
        #expect(throws: WireError.undecodable(message: "switchyard.v1.Envelope")) {
            try Envelope(serialized: [0x32, 0x7f, 0x01])
        }
    }
}
