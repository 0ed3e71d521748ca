import Foundation
import Synchronization
import Logging
import RPC
import RouterCore
import RouterFile
import Testing
import Wire
@testable import EmbeddingService
@testable import RouterService

/// A router trained on two kinds of prompt: arithmetic, where only the strong model is right, and
/// greetings, where both are and the weak one is 20x cheaper.
enum TinyRouter {
    static let models = ["strong", "weak"]
    static let settings = HashEmbedder.Settings(dimension: 64)
    static let math = (0..<12).map { "compute \($0 * 7) times \($0 + 3) plus \($0) minus one" }
    static let greetings = (0..<12).map { "hello there friend number \($0), how are you today" }

    static var data: TrainingData {
        let prompts = math + greetings
        let scores = math.map { _ in [1.0, 0.0] } + greetings.map { _ in [1.0, 1.0] }
        let costs = prompts.map { _ in [0.02, 0.001] }
        let records = prompts.indices.map { PromptSet.Record(id: "p\($0)", prompt: prompts[$0], scores: scores[$0], costs: costs[$0]) }
        let set = CompleteSet(models: models, records: records, scores: scores, costs: costs, scoreScale: 0...1, notes: [])
        return TrainingData(set: set, embeddings: HashEmbedder(settings: settings).embedAll(prompts))
    }

    /// A router file of a cluster router (the default, k = 2, top-1) and a kNN router, each
    /// calibrated on the training prompts.
    static func bundle(seed: UInt64 = 42, embedder: EmbedderSpec = .hash(settings)) throws -> RouterBundle {
        let data = self.data
        let specs = [RouterSpec(.cluster, ["k": 2, "top_k": 1]), RouterSpec(.knn, ["neighbors": 3])]
        let entries = try specs.map { spec in
            let router = spec.train(data, seed: seed)
            let scores = try router.estimateAll(data.embeddings, lengths: data.lengths).map(\.strongWinScore)
            return RouterBundle.Entry(
                name: spec.kind.rawValue, spec: spec.description, router: router, calibration: Calibration(scores: scores, source: "tiny"))
        }
        return try RouterBundle(
            version: "tiny-s\(seed)-" + RouterBundle.fingerprint(entries.map(\.router)), embedder: embedder, models: models,
            prices: [nil, nil], entries: entries, defaultRouter: "cluster")
    }

    static func file(seed: UInt64 = 42, embedder: EmbedderSpec = .hash(settings)) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID().uuidString).bin").path
        try RouterFile.save(bundle(seed: seed, embedder: embedder), to: path)
        return path
    }

    static func vector(_ prompt: String) -> [Float] { HashEmbedder(settings: settings).embed(prompt) }
}

/// The router service's methods through the in-process transport.
@Suite(.timeLimit(.minutes(1))) struct RouteHandlerTests {
    let state: RouterState

    init() throws {
        state = RouterState(try LoadedRouter.load(try TinyRouter.file()))
    }

    func router(embedder: any PromptEmbedder = InProcessHashEmbedder(), defaultAlpha: Double = 0.5) -> InProcessCaller {
        var handlers = RPCHandlers()
        RouteHandler(
            state: state, embedder: embedder, defaultAlpha: defaultAlpha, latencyMs: ["strong": 900, "weak": 150],
            replica: ReplicaName("r1")
        ).register(in: &handlers)
        return InProcessCaller(handlers, target: "router")
    }

    @Test func alphaSlidesFromCheapestToBest() async throws {
        let router = router()
        let math = TinyRouter.vector(TinyRouter.math[0])
        #expect(try await router.call(Methods.route, RouteRequest(embedding: math, tradeoff: .alpha(1))).model == "strong")
        #expect(try await router.call(Methods.route, RouteRequest(embedding: math, tradeoff: .alpha(0))).model == "weak")
        let greeting = TinyRouter.vector(TinyRouter.greetings[0])
        #expect(try await router.call(Methods.route, RouteRequest(embedding: greeting, tradeoff: .alpha(0.9))).model == "weak")
    }

    @Test func theAnswerRanksEveryModelWithTheChoiceFirst() async throws {
        let response = try await router().call(Methods.route, RouteRequest(prompt: TinyRouter.math[1], tradeoff: .alpha(0.8)))
        #expect(response.model == "strong")
        #expect(response.scores.map(\.model) == ["strong", "weak"])
        #expect(response.scores[0].score >= response.scores[1].score)
        #expect(response.clusters.count == 1 && response.clusters[0].weight == 1)
        #expect(response.alpha == 0.8)
        #expect(response.replica == "r1")
        #expect(response.routerVersion == state.current.version)
        #expect(response.router == "cluster")
    }

    @Test func aBudgetPicksTheBestModelItCanAffordAndRanksOnlyThose() async throws {
        let router = router()
        let math = TinyRouter.math[2]
        let rich = try await router.call(Methods.route, RouteRequest(prompt: math, tradeoff: .maxCostUSD(1)))
        #expect(rich.model == "strong")
        #expect(rich.scores.map(\.model) == ["strong", "weak"])
        let poor = try await router.call(Methods.route, RouteRequest(prompt: math, tradeoff: .maxCostUSD(0.005)))
        #expect(poor.model == "weak")
        #expect(poor.scores.map(\.model) == ["weak"], "a model over the budget is no fallback")
        let broke = await #expect(throws: RPCError.self) {
            try await router.call(Methods.route, RouteRequest(prompt: math, tradeoff: .maxCostUSD(0.0001)))
        }
        #expect(broke?.code == .failedPrecondition)
        #expect(broke?.message.contains("cheapest allowed, weak") == true, "\(broke?.message ?? "")")
    }

    @Test func aLatencyCapLeavesOnlyFastEnoughModels() async throws {
        let router = router()
        let capped = try await router.call(
            Methods.route, RouteRequest(prompt: TinyRouter.math[0], tradeoff: .alpha(1), maxLatencyMs: 500))
        #expect(capped.model == "weak")
        let impossible = await #expect(throws: RPCError.self) {
            try await router.call(Methods.route, RouteRequest(prompt: "x", maxLatencyMs: 100))
        }
        #expect(impossible?.code == .failedPrecondition)
        #expect(impossible?.message.contains("fastest, weak") == true)
    }

    @Test func aRequestNamesTheRouterAndItsKnob() async throws {
        let router = router()
        let byKNN = try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.math[3], router: "knn"))
        #expect(byKNN.router == "knn")
        #expect(byKNN.clusters.isEmpty)
        let byDefault = try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.math[3]))
        #expect(byDefault.router == "cluster")
        // A threshold between the strong-win scores of a math prompt (high) and a greeting (low).
        let math = try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.math[3], tradeoff: .threshold(0.5), router: "knn"))
        let greeting = try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.greetings[3], tradeoff: .threshold(0.5), router: "knn"))
        #expect(math.model == "strong" && math.threshold == 0.5 && math.strongWinScore > 0.5)
        #expect(greeting.model == "weak" && greeting.strongWinScore < 0.5)
        // Half the calibration prompts are math: a 50% strong share splits them the same way.
        let share = try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.math[3], tradeoff: .strongShare(0.5), router: "knn"))
        #expect(share.model == "strong")
        let missing = await #expect(throws: RPCError.self) {
            try await router.call(Methods.route, RouteRequest(prompt: "x", router: "mf"))
        }
        #expect(missing?.code == .notFound)
        #expect(missing?.message.contains("it has: cluster, knn") == true)
        let badShare = await #expect(throws: RPCError.self) {
            try await router.call(Methods.route, RouteRequest(prompt: "x", tradeoff: .strongShare(1.5)))
        }
        #expect(badShare?.code == .invalidArgument)
    }

    @Test func aPromptRoutesAsItsVectorDoesThroughTheEmbeddingService() async throws {
        var embedHandlers = RPCHandlers()
        EmbedHandler(embedder: HashEmbedder(settings: TinyRouter.settings)).register(in: &embedHandlers)
        let viaService = router(embedder: EmbeddingServiceClient(client: InProcessCaller(embedHandlers, target: "embed")))
        for prompt in TinyRouter.math.prefix(3) + TinyRouter.greetings.prefix(3) {
            let byPrompt = try await viaService.call(Methods.route, RouteRequest(prompt: prompt))
            let byVector = try await router().call(Methods.route, RouteRequest(embedding: TinyRouter.vector(prompt)))
            #expect(byPrompt == byVector)
        }
    }

    @Test func anEmbeddingServiceOfAnotherSpaceOrDownIsRefused() async throws {
        var otherSpace = RPCHandlers()
        EmbedHandler(embedder: HashEmbedder(settings: .init(dimension: 32))).register(in: &otherSpace)
        let mismatched = router(embedder: EmbeddingServiceClient(client: InProcessCaller(otherSpace)))
        let mismatch = await #expect(throws: RPCError.self) { try await mismatched.call(Methods.route, RouteRequest(prompt: "hi")) }
        #expect(mismatch?.code == .failedPrecondition)

        var down = RPCHandlers()
        down.register(Methods.embed) { _, _ -> EmbedResponse in throw RPCError(.unavailable, "down") }
        let unreachable = router(embedder: EmbeddingServiceClient(client: InProcessCaller(down, target: "embed@x")))
        let error = await #expect(throws: RPCError.self) { try await unreachable.call(Methods.route, RouteRequest(prompt: "hi")) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("embedding service") == true)
        // Vectors still route.
        #expect(try await unreachable.call(Methods.route, RouteRequest(embedding: TinyRouter.vector("hi"))).model.isEmpty == false)
    }

    @Test func anUnreachableEmbeddingServiceFallsBackToHashSaysSoAndIsTriedAgainLater() async throws {
        let isUp = Atomic<Bool>(true)
        let calls = Atomic<Int>(0)
        let embedder = HashEmbedder(settings: TinyRouter.settings)
        var flaky = RPCHandlers()
        flaky.register(Methods.embed) { request, _ -> EmbedResponse in
            calls.add(1, ordering: .relaxed)
            guard isUp.load(ordering: .relaxed) else { throw RPCError(.unavailable, "connection refused") }
            return EmbedResponse(
                vectors: request.texts.map { Vector(values: embedder.embed($0)) }, embedder: "hash",
                dimension: UInt32(TinyRouter.settings.dimension))
        }
        let service = EmbeddingServiceClient(client: InProcessCaller(flaky, target: "embed@x"))
        let routing = router(embedder: FallingBackEmbedder(
            primary: service, fallback: InProcessHashEmbedder(), retryAfter: .seconds(1), logger: Logger(label: "test")))
        let prompt = TinyRouter.math[0]
        let expected = try await router().call(Methods.route, RouteRequest(embedding: TinyRouter.vector(prompt))).model

        let up = try await routing.call(Methods.route, RouteRequest(prompt: prompt))
        #expect(up.model == expected && up.embeddingFallback.isEmpty)

        isUp.store(false, ordering: .relaxed)
        let firstDown = try await routing.call(Methods.route, RouteRequest(prompt: prompt))
        #expect(firstDown.model == expected)
        #expect(firstDown.embeddingFallback.contains("embed@x") && firstDown.embeddingFallback.contains("in-process hash"))
        // Within retryAfter the service is not asked again: no request waits on it.
        let callsBefore = calls.load(ordering: .relaxed)
        let secondDown = try await routing.call(Methods.route, RouteRequest(prompt: prompt))
        #expect(!secondDown.embeddingFallback.isEmpty && calls.load(ordering: .relaxed) == callsBefore)

        isUp.store(true, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(1100))
        let back = try await routing.call(Methods.route, RouteRequest(prompt: prompt))
        #expect(back.embeddingFallback.isEmpty && calls.load(ordering: .relaxed) == callsBefore + 1)
    }

    @Test func aFallbackDoesNotHideAnEmbeddingServiceOfAnotherSpace() async throws {
        var otherSpace = RPCHandlers()
        EmbedHandler(embedder: HashEmbedder(settings: .init(dimension: 32))).register(in: &otherSpace)
        let routing = router(embedder: FallingBackEmbedder(
            primary: EmbeddingServiceClient(client: InProcessCaller(otherSpace)), fallback: InProcessHashEmbedder(),
            logger: Logger(label: "test")))
        let error = await #expect(throws: RPCError.self) { try await routing.call(Methods.route, RouteRequest(prompt: "hi")) }
        #expect(error?.code == .failedPrecondition)
    }

    @Test(arguments: [
        (RouteRequest(), "prompt or an embedding"),
        (RouteRequest(embedding: [1, 0]), "expects 64"),
        (RouteRequest(prompt: "x", tradeoff: .alpha(1.5)), "alpha"),
        (RouteRequest(prompt: "x", tradeoff: .maxCostUSD(-1)), "max cost"),
        (RouteRequest(prompt: "x", allowedModels: ["gpt-5"]), "knows: strong, weak"),
    ])
    func badRequestsAreInvalidAndSayWhy(request: RouteRequest, reason: String) async throws {
        let error = await #expect(throws: RPCError.self) { try await router().call(Methods.route, request) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func allowedModelsRestrictTheChoice() async throws {
        let response = try await router().call(
            Methods.route, RouteRequest(prompt: TinyRouter.math[0], tradeoff: .alpha(1), allowedModels: ["weak"]))
        #expect(response.model == "weak")
        #expect(response.scores.map(\.model) == ["weak"])
    }

    @Test func reloadSwapsTheModelAndABadFileKeepsTheOldOne() async throws {
        let router = router()
        let first = state.current.version
        let other = try TinyRouter.file(seed: 7)
        let reloaded = try await router.call(Methods.reload, ReloadRequest(path: other))
        #expect(reloaded.previousVersion == first)
        #expect(reloaded.version == state.current.version)
        let missing = await #expect(throws: RPCError.self) {
            try await router.call(Methods.reload, ReloadRequest(path: "/nonexistent/router.bin"))
        }
        #expect(missing?.code == .notFound)
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).bin").path
        try Data("not a router".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = await #expect(throws: RPCError.self) { try await router.call(Methods.reload, ReloadRequest(path: garbage)) }
        #expect(bad?.code == .invalidArgument)
        #expect(state.current.version == reloaded.version)
        #expect(state.reloads == 1)
    }

    /// A file whose embeddings this router cannot get is refused before it replaces the one
    /// serving: every request would fail after it.
    @Test func aFileForAnotherEmbedderIsRefusedAndTheCurrentOneServes() async throws {
        let router = router()
        let serving = state.current.version
        let minilm = try TinyRouter.file(embedder: EmbedderSpec(kind: "minilm", dimension: TinyRouter.settings.dimension))
        let refused = await #expect(throws: RPCError.self) { try await router.call(Methods.reload, ReloadRequest(path: minilm)) }
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.message.contains("minilm") == true && refused?.message.contains("still serving \(serving)") == true)
        #expect(state.current.version == serving && state.reloads == 0)
        #expect(try await router.call(Methods.route, RouteRequest(prompt: TinyRouter.math[0])).routerVersion == serving)
    }

    /// Reloads asked for at once run one at a time: each replaced the one before it, so the
    /// versions they report form one chain ending at the file that serves.
    @Test func concurrentReloadsRunOneAtATime() async throws {
        let router = router()
        let files = [try TinyRouter.file(seed: 7), try TinyRouter.file(seed: 42)]
        let answers = try await withThrowingTaskGroup(of: ReloadResponse.self) { group in
            for i in 0..<10 { group.addTask { try await router.call(Methods.reload, ReloadRequest(path: files[i % 2])) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(state.reloads == 10)
        // Chained from the first model: each answer's previous version is the one before it in some order.
        var chain = [String]()
        var remaining = answers
        var current = state.current.version
        while let index = remaining.lastIndex(where: { $0.version == current }) {
            chain.append(current)
            current = remaining.remove(at: index).previousVersion
        }
        #expect(remaining.isEmpty, "\(answers.count - remaining.count) of \(answers.count) reloads chain")
    }
}
