import Foundation
import RPC
import RouterCore
import RouterFile
import Testing
import Wire
@testable import EmbeddingService
@testable import RouterService

/// What a replica does with the versions the learner publishes: loads them from Reload's bytes
/// (refusing a bad one and keeping its own), and explores on a learned router only as far as a
/// request allows.
@Suite(.timeLimit(.minutes(1))) struct LearnedRouterTests {
    /// TinyRouter's cluster router made a learned one: pool normalization, strong a little ahead
    /// of weak everywhere (0.6 to 0.5), and the evidence behind every cell `strength` (little:
    /// wide Thompson draws).
    static func learnedBundle(strength: Double, version: String = "tiny+learned.1") throws -> RouterBundle {
        let tiny = try TinyRouter.bundle()
        var model = (try tiny.entry("cluster").router as! ClusterRouter).model
        model.normalization = .pool
        model.performance = model.performance.indices.map { $0 % 2 == 0 ? 0.6 : 0.5 }
        model.strength = Array(repeating: strength, count: model.performance.count)
        return try RouterBundle(
            version: version, embedder: tiny.embedder, models: tiny.models, prices: tiny.prices,
            entries: [.init(name: "cluster", spec: "learned", router: try ClusterRouter(model: model))], defaultRouter: "cluster")
    }

    func replica(_ state: RouterState) -> InProcessCaller {
        var handlers = RPCHandlers()
        RouteHandler(state: state, embedder: InProcessHashEmbedder(), replica: ReplicaName("r1")).register(in: &handlers)
        return InProcessCaller(handlers, target: "router")
    }

    @Test func aPublishedVersionLoadsFromReloadsBytesOnceAndABadOneIsRefusedKeepingTheLast() async throws {
        let state = RouterState(try LoadedRouter.load(try TinyRouter.file()))
        let started = state.current
        let router = replica(state)
        let bytes = RouterFile.encode(try Self.learnedBundle(strength: 4))
        let answer = try await router.call(Methods.reload, ReloadRequest(routerFile: bytes))
        #expect(answer.previousVersion == started.version && answer.version == "tiny+learned.1")
        #expect(state.current.path == started.path, "SIGHUP still reloads the file it was started with")
        let again = try await router.call(Methods.reload, ReloadRequest(routerFile: bytes))
        #expect(again.previousVersion == again.version && state.reloads == 1, "the version serving is not loaded twice")
        var broken = bytes
        broken[broken.count / 2] ^= 0xFF
        let refused = await #expect(throws: RPCError.self) { try await router.call(Methods.reload, ReloadRequest(routerFile: broken)) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.message.contains("still serving tiny+learned.1") == true, "\(refused?.message ?? "")")
        #expect(state.current.version == "tiny+learned.1")
    }

    @Test func aLearnedRouterExploresWithinTheShareAskedAndTheRequestsLimits() async throws {
        let state = RouterState(LoadedRouter(bundle: try Self.learnedBundle(strength: 2), path: "learned"))
        let router = replica(state)
        let math = TinyRouter.vector(TinyRouter.math[0])
        func count(_ request: RouteRequest) async throws -> (explored: Int, models: [String: Int]) {
            var explored = 0, models: [String: Int] = [:]
            for _ in 0..<300 {
                let answer = try await router.call(Methods.route, request)
                if answer.explored { explored += 1 }
                models[answer.model, default: 0] += 1
            }
            return (explored, models)
        }
        let never = try await count(RouteRequest(embedding: math, tradeoff: .alpha(0.9)))
        #expect(never.explored == 0 && never.models.count == 1, "explore_share 0: the means decide")
        let always = try await count(RouteRequest(embedding: math, tradeoff: .alpha(0.9), exploreShare: 1))
        #expect(always.explored > 30 && always.models.count == 2, "\(always)")
        let some = try await count(RouteRequest(embedding: math, tradeoff: .alpha(0.9), exploreShare: 0.1))
        #expect(some.explored < always.explored / 3, "\(some) vs \(always)")
        // A budget only the weak model fits: exploring never goes past it.
        let capped = try await count(RouteRequest(embedding: math, tradeoff: .maxCostUSD(0.005), exploreShare: 1))
        #expect(capped.models == ["weak": 300] && capped.explored == 0)
        let bad = await #expect(throws: RPCError.self) {
            try await router.call(Methods.route, RouteRequest(embedding: math, exploreShare: 1.5))
        }
        #expect(bad?.code == .invalidArgument)
        // An offline router never explores.
        let offline = replica(RouterState(try LoadedRouter.load(try TinyRouter.file())))
        for _ in 0..<50 {
            #expect(try await offline.call(Methods.route, RouteRequest(embedding: math, tradeoff: .alpha(0.9), exploreShare: 1)).explored == false)
        }
    }
}
