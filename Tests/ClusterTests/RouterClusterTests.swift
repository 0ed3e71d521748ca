import Foundation
import UpstreamHTTP
import NIOCore
import RPC
import Testing
import Wire
import Zlib

let strong = "gpt-4-1106-preview"
let weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"
let samplePrompts = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did she sell altogether?",
    "A train leaves at 3pm travelling 60 miles per hour. How far has it gone by 5:30pm?",
    "Write a haiku about the sea.",
    "What is 17 times 23?",
]

/// The cluster as processes: embedding service, routers, coordinator, over real sockets.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RouterClusterTests {
    @Test func routeThroughCoordinatorRouterAndEmbeddingService() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let embed = try await cluster.start("switchyard-embed")
            let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "0.2"])
            let router = try await cluster.start("switchyard-router", [
                "--router-file", routerFile, "--embed-address", embed.address, "--coordinator", coordinator.address,
            ])
            try await cluster.waitUntilServing(coordinator)
            let client = try cluster.client(coordinator)
            let viaCoordinator = try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[0], tradeoff: .alpha(0.8)))
            #expect([strong, weak].contains(viaCoordinator.model))
            #expect(viaCoordinator.replica == router.address)
            #expect(viaCoordinator.scores.count == 2 && viaCoordinator.scores[0].model == viaCoordinator.model)
            #expect(!viaCoordinator.clusters.isEmpty)
            let direct = try await cluster.client(router).call(Methods.route, RouteRequest(prompt: samplePrompts[0], tradeoff: .alpha(0.8)))
            #expect(direct.model == viaCoordinator.model && direct.routerVersion == viaCoordinator.routerVersion)

            let embedStatus = try await cluster.client(embed).call(Methods.status, StatusRequest())
            #expect((embedStatus.embedder?.cacheMisses ?? 0) + (embedStatus.embedder?.cacheHits ?? 0) >= 2)
            let coordinatorStatus = try await client.call(Methods.status, StatusRequest())
            let replicas = try #require(coordinatorStatus.coordinator?.replicas)
            #expect(replicas.count == 1 && replicas[0].registered && replicas[0].healthy && replicas[0].forwarded == 1)
        }
    }

    @Test func aRouterTrainedOnMiniLMRoutesPromptsThroughTheMiniLMEmbeddingService() async throws {
        try await Cluster.with { cluster in
            // 200 GSM8K prompts are enough to train on, and quick to embed in a debug build.
            let gzipped = try Data(contentsOf: URL(fileURLWithPath: Repository.path("data/routellm/gsm8k.jsonl.gz")))
            let lines = try gzipped.withUnsafeBytes { try Inflater(format: .gzip).decompress($0, limit: 1 << 26) }
            let subset = cluster.folder.appendingPathComponent("gsm8k-200.jsonl")
            try Data(String(decoding: lines, as: UTF8.self).split(separator: "\n").prefix(200).joined(separator: "\n").utf8).write(to: subset)
            let routerFile = cluster.folder.appendingPathComponent("minilm.bin").path
            let (status, output, errors) = try await Cluster.capture("switchyard", [
                "train", "--data", subset.path, "--prices", Repository.path("data/prices.json"), "--embedder", "minilm",
                "--embedding-cache", "none", "--knob", "cluster.k=4", "--out", routerFile,
            ])
            try #require(status == 0, "switchyard train failed:\n\(output)\(errors)")

            let embed = try await cluster.start("switchyard-embed", ["--embedder", "minilm"])
            let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "0.2"])
            let router = try await cluster.start("switchyard-router", [
                "--router-file", routerFile, "--embed-address", embed.address, "--coordinator", coordinator.address,
            ])
            try await cluster.waitUntilServing(coordinator)
            let routed = try await cluster.client(coordinator).call(Methods.route, RouteRequest(prompt: samplePrompts[0]))
            #expect([strong, weak].contains(routed.model))
            #expect(routed.replica == router.address)
            let embedStatus = try await cluster.client(embed).call(Methods.status, StatusRequest())
            #expect(embedStatus.embedder?.embedder == "minilm")
            #expect(embedStatus.embedder?.cacheMisses == 1)

            // Without the embedding service the router cannot make a MiniLM vector, and says so.
            let alone = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let error = await #expect(throws: RPCError.self) {
                try await cluster.client(alone).call(Methods.route, RouteRequest(prompt: samplePrompts[0]))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("minilm") == true, "\(error?.message ?? "")")
        }
    }

    @Test func withTokensOnlyCallersWithTheTokenRouteAndOnlyTheAdminTokenRegisters() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let tokens = ["--auth-token-file", try cluster.tokenFile("caller", "c4ller"), "--admin-token-file", try cluster.tokenFile("admin", "4dmin")]
            let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "0.2"] + tokens)
            _ = try await cluster.start("switchyard-router", ["--router-file", routerFile, "--coordinator", coordinator.address] + tokens)
            try await cluster.waitUntilServing(coordinator)  // the router registered with the admin token

            let anonymous = try cluster.client(coordinator), caller = try cluster.client(coordinator, token: "c4ller")
            let refused = await #expect(throws: RPCError.self) { try await anonymous.call(Methods.route, RouteRequest(prompt: "hi")) }
            #expect(refused?.code == .unauthenticated)
            #expect([strong, weak].contains(try await caller.call(Methods.route, RouteRequest(prompt: "hi")).model))
            let denied = await #expect(throws: RPCError.self) {
                try await caller.call(Methods.register, RegisterRequest(address: "127.0.0.1:1"))
            }
            #expect(denied?.code == .permissionDenied)
            let status = try await caller.call(Methods.status, StatusRequest())
            #expect(status.coordinator?.replicas.count == 1)

            let cli = try await Cluster.capture("switchyard", ["status", coordinator.address, "--auth-token-file", tokens[1]])
            #expect(cli.status == 0 && cli.output.contains("SERVING"), "\(cli.output)\(cli.errors)")
        }
    }

    /// A new router file rolled out through the coordinator: `switchyard reload` with the admin
    /// token reloads every replica at once and, with --expect, checks they all serve the new
    /// file's version; a file a replica cannot read is FAILED_PRECONDITION naming each replica.
    @Test func reloadThroughTheCoordinatorReachesEveryReplica() async throws {
        try await Cluster.with { cluster in
            let (old, new) = (try await RouterFiles.gsm8k(seed: 42, in: cluster), try await RouterFiles.gsm8k(seed: 7, in: cluster))
            let serving = cluster.folder.appendingPathComponent("serving.bin").path
            try FileManager.default.copyItem(atPath: old, toPath: serving)
            let admin = try cluster.tokenFile("admin", "4dmin"), callerToken = try cluster.tokenFile("caller", "c4ller")
            let tokens = ["--auth-token-file", callerToken, "--admin-token-file", admin]
            let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "0.2"] + tokens)
            var routers: [ServiceProcess] = []
            for _ in 0..<2 {
                routers.append(try await cluster.start("switchyard-router", ["--router-file", serving, "--coordinator", coordinator.address] + tokens))
            }
            for _ in 0..<200 {
                let replicas = try await cluster.client(coordinator, token: "c4ller").call(Methods.status, StatusRequest()).coordinator?.replicas
                if replicas?.count == 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try FileManager.default.removeItem(atPath: serving)
            try FileManager.default.copyItem(atPath: new, toPath: serving)

            let denied = try await Cluster.capture("switchyard", ["reload", coordinator.address, "--admin-token-file", callerToken])
            #expect(denied.status != 0 && denied.errors.contains("PERMISSION_DENIED"), "\(denied.errors)")
            let rolled = try await Cluster.capture("switchyard", ["reload", coordinator.address, "--admin-token-file", admin, "--expect", new])
            #expect(rolled.status == 0 && rolled.output.contains("every replica serves"), "\(rolled.output)\(rolled.errors)")
            let newVersion = try await cluster.client(routers[0], token: "c4ller").call(Methods.status, StatusRequest()).router?.routerVersion
            for router in routers {
                let status = try await cluster.client(router, token: "c4ller").call(Methods.status, StatusRequest())
                #expect(status.router?.routerVersion == newVersion && status.router?.reloads == 1)
                #expect(rolled.output.contains("\(router.address): ") && rolled.output.contains("-> \(newVersion ?? "?")"))
            }
            let missing = await #expect(throws: RPCError.self) {
                try await cluster.client(coordinator, token: "4dmin").call(Methods.reload, ReloadRequest(path: "/nonexistent/router.bin"))
            }
            #expect(missing?.code == .failedPrecondition && missing?.message.contains("0 of 2 replicas reloaded") == true, "\(missing?.message ?? "")")
            #expect(routers.allSatisfy { missing?.message.contains($0.address) == true })
        }
    }

    @Test func badRequestsAreInvalidArgumentThroughTheCoordinator() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let coordinator = try await cluster.start("switchyard-coordinator", ["--replica", router.address])
            try await cluster.waitUntilServing(coordinator)
            let client = try cluster.client(coordinator)
            let bad: [(RouteRequest, String)] = [
                (RouteRequest(prompt: ""), "prompt or an embedding"),
                (RouteRequest(prompt: "hi", allowedModels: ["gpt-5"]), "unknown model \"gpt-5\""),
                (RouteRequest(embedding: [1, 2, 3]), "3 dimensions"),
                (RouteRequest(prompt: "hi", tradeoff: .alpha(1.5)), "outside [0, 1]"),
                (RouteRequest(prompt: "hi", tradeoff: .maxCostUSD(-1)), ">= 0"),
            ]
            for (request, message) in bad {
                let error = await #expect(throws: RPCError.self) { try await client.call(Methods.route, request) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
            }
            // Bad requests are not retried elsewhere, and the replica stays in the rotation.
            let status = try await client.call(Methods.status, StatusRequest())
            #expect(status.coordinator?.retries == 0)
            #expect(status.coordinator?.replicas.first?.healthy == true)
            let ok = try await client.call(Methods.route, RouteRequest(prompt: "hi", allowedModels: [weak]))
            #expect(ok.model == weak)
        }
    }

    @Test func embeddingServiceDownIsUnavailableAndVectorsStillRoute() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let embed = try await cluster.start("switchyard-embed")
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile, "--embed-address", embed.address])
            let client = try cluster.client(router)
            _ = try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[1]))
            embed.kill()
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) { try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[2])) }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("embedding service") == true)
            #expect(ContinuousClock.now - started < .seconds(5))
            let vector = [Float](repeating: 1 / Float(384).squareRoot(), count: 384)
            let response = try await client.call(Methods.route, RouteRequest(embedding: vector))
            #expect(!response.model.isEmpty)
        }
    }

    @Test func allReplicasDownIsUnavailable() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile])
            let coordinator = try await cluster.start("switchyard-coordinator", ["--replica", router.address, "--health-interval", "0.1"])
            try await cluster.waitUntilServing(coordinator)
            router.kill()
            let client = try cluster.client(coordinator)
            let error = await #expect(throws: RPCError.self) { try await client.call(Methods.route, RouteRequest(prompt: "hi")) }
            #expect(error?.code == .unavailable)
            // The failed forward probes the replica at once; health checks follow every 100 ms.
            while try await client.call(Methods.health, HealthRequest()).status != .notServing {
                try await Task.sleep(for: .milliseconds(20))
            }
            let again = await #expect(throws: RPCError.self) { try await client.call(Methods.route, RouteRequest(prompt: "hi")) }
            #expect(again?.code == .unavailable && again?.message.contains("no healthy router replica") == true)
        }
    }

    @Test func killingAReplicaUnderLoadFailsNoRequest() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let embed = try await cluster.start("switchyard-embed")
            let routers = [
                try await cluster.start("switchyard-router", ["--router-file", routerFile, "--embed-address", embed.address]),
                try await cluster.start("switchyard-router", ["--router-file", routerFile, "--embed-address", embed.address]),
            ]
            let coordinator = try await cluster.start(
                "switchyard-coordinator", ["--health-interval", "0.2"] + routers.flatMap { ["--replica", $0.address] })
            try await cluster.waitUntilServing(coordinator)
            let client = try cluster.client(coordinator, connections: 2)
            let workers = LoadWorkers(count: 4) { i in
                try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[i % samplePrompts.count] + " #\(i)")).replica
            }
            try await workers.waitForProgress(40)
            routers[0].kill()
            try await workers.waitForProgress(40)
            let (replicas, failed) = await workers.stop()
            let outcome = (ok: replicas.count, failed: failed, replicas: Set(replicas))
            #expect(outcome.failed.isEmpty, "\(outcome.failed.prefix(3))")
            #expect(outcome.ok > 20)
            #expect(outcome.replicas == Set(routers.map(\.address)))
            let status = try await cluster.client(coordinator).call(Methods.status, StatusRequest())
            let dead = status.coordinator?.replicas.first { $0.address == routers[0].address }
            #expect(dead?.healthy == false)
        }
    }

    @Test func reloadWhileRequestsFlowHasNoErrors() async throws {
        try await Cluster.with { cluster in
            let first = try await RouterFiles.gsm8k(seed: 42, in: cluster)
            let second = try await RouterFiles.gsm8k(seed: 7, in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", first])
            let client = try cluster.client(router, connections: 2)
            let before = try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[0]))
            let workers = LoadWorkers(count: 3) { i in
                try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[i % samplePrompts.count])).routerVersion
            }
            for path in [second, first, second] {
                try await workers.waitForProgress(30)
                _ = try await client.call(Methods.reload, ReloadRequest(path: path))
            }
            try await workers.waitForProgress(30)
            let (seen, failures) = await workers.stop()
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            let versions = Set(seen)
            let after = try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[0]))
            #expect(after.routerVersion != before.routerVersion)
            #expect(versions.count == 2)

            // A bad file leaves the current model serving.
            let missing = await #expect(throws: RPCError.self) {
                try await client.call(Methods.reload, ReloadRequest(path: cluster.folder.appendingPathComponent("nope.bin").path))
            }
            #expect(missing?.code == .notFound)
            let garbage = cluster.folder.appendingPathComponent("garbage.bin")
            try Data("not a router".utf8).write(to: garbage)
            let bad = await #expect(throws: RPCError.self) { try await client.call(Methods.reload, ReloadRequest(path: garbage.path)) }
            #expect(bad?.code == .invalidArgument)
            #expect(try await client.call(Methods.route, RouteRequest(prompt: "hi")).routerVersion == after.routerVersion)

            // SIGHUP reloads the current file (the second one).
            router.signal(SIGHUP)
            while try await client.call(Methods.status, StatusRequest()).router?.reloads != 4 {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Reload calls sent all at once and SIGHUPs, under load, through the embedding service: no
    /// request fails, every answer comes from one of the files, the reloads run one at a time (each
    /// replaced the one before it: one chain of versions), and a file trained on embeddings the
    /// service does not give (hash at 128 dimensions; the service embeds 384) is refused, the
    /// current file still serving.
    @Test func concurrentReloadsAndHangupsUnderLoadFailNothing() async throws {
        try await Cluster.with { cluster in
            let files = [try await RouterFiles.gsm8k(seed: 42, in: cluster), try await RouterFiles.gsm8k(seed: 7, in: cluster)]
            let other = cluster.folder.appendingPathComponent("hash-128.bin").path
            let trained = try await Cluster.capture("switchyard", [
                "train", "--data", Repository.path("data/routellm/gsm8k.jsonl.gz"), "--prices", Repository.path("data/prices.json"),
                "--dimension", "128", "--knob", "cluster.k=8", "--out", other,
            ])
            #expect(trained.status == 0, "\(trained.errors)")
            let embed = try await cluster.start("switchyard-embed")
            let router = try await cluster.start("switchyard-router", ["--router-file", files[0], "--embed-address", embed.address])
            let client = try cluster.client(router, connections: 2)
            let admin = try cluster.client(router, timeout: .seconds(20), connections: 4)
            let workers = LoadWorkers(count: 4) { i in
                try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[i % samplePrompts.count] + " #\(i)")).routerVersion
            }
            try await workers.waitForProgress(30)
            let answers = try await withThrowingTaskGroup(of: ReloadResponse.self) { group in
                for i in 0..<12 {
                    group.addTask { try await admin.call(Methods.reload, ReloadRequest(path: files[i % 2])) }
                    if i % 4 == 0 { router.signal(SIGHUP) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = await #expect(throws: RPCError.self) { try await admin.call(Methods.reload, ReloadRequest(path: other)) }
            #expect(refused?.code == .failedPrecondition && refused?.message.contains("hash:128") == true, "\(String(describing: refused))")
            try await workers.waitForProgress(30)
            let (seen, failures) = await workers.stop()
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            let versions = Set(answers.map(\.version))
            #expect(versions.count == 2)
            #expect(Set(seen).isSubset(of: versions), "every answer came from one of the two files")
            // Each Reload reports the model it replaced: chained, they pass through every reload once.
            let previous = answers.map(\.previousVersion)
            #expect(Set(previous).isSubset(of: versions))
            let status = try await admin.call(Methods.status, StatusRequest())
            #expect((12...15).contains(status.router?.reloads ?? 0), "12 Reloads and up to 3 SIGHUPs: \(status.router?.reloads ?? 0)")
            #expect(versions.contains(status.router?.routerVersion ?? ""), "the refused file is not serving")
        }
    }

    /// A readiness probe on /healthz sees what Health says: a coordinator with no replica is 503
    /// until a router registers.
    @Test func healthzFollowsHealth() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "0.2", "--metrics-port", "0"])
            let metrics = try await cluster.client(coordinator).call(Methods.status, StatusRequest()).metricsAddress
            let probe = try HTTPCaller(url: "http://\(metrics)")
            let empty = try await probe.get("/healthz", timeout: .seconds(5))
            #expect(empty.status == 503 && String(decoding: empty.body, as: UTF8.self) == "not serving\n")
            _ = try await cluster.start("switchyard-router", ["--router-file", routerFile, "--coordinator", coordinator.address])
            try await cluster.waitUntilServing(coordinator)
            #expect(try await probe.get("/healthz", timeout: .seconds(5)).status == 200)
        }
    }

    @Test func metricsEndpointServesPrometheusText() async throws {
        try await Cluster.with { cluster in
            let routerFile = try await RouterFiles.gsm8k(in: cluster)
            let router = try await cluster.start("switchyard-router", ["--router-file", routerFile, "--metrics-port", "0"])
            let client = try cluster.client(router)
            _ = try await client.call(Methods.route, RouteRequest(prompt: samplePrompts[3], allowedModels: [weak]))
            let status = try await client.call(Methods.status, StatusRequest())
            let response = try await HTTPCaller(url: "http://\(status.metricsAddress)").get("/metrics", timeout: .seconds(5))
            #expect(response.status == 200)
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains("switchyard_requests_total{service=\"router\",method=\"Route\"} 1"))
            #expect(text.contains("switchyard_routed_requests_total{service=\"router\",model=\"\(weak)\"} 1"))
            #expect(text.contains("switchyard_request_duration_seconds_bucket{service=\"router\",method=\"Route\""))
        }
    }
}
