import Datasets
import Foundation
import RPC
import Synchronization
import Testing
import UpstreamHTTP
import Wire

/// The learner as a process beside a real cluster (coordinator, two routers, gateway with a
/// SQLite store, replay upstreams): versions reach every replica, routing carries on while the
/// learner is killed, a restarted learner has learned every acknowledged score, and of two
/// learners on one store only one writes.
@Suite(.timeLimit(.minutes(3))) struct LearnerClusterTests {
    /// GSM8K prompts the replay upstreams know, with each model's recorded score.
    static let lines: [DatasetLine] = (try? DatasetFile.lines(Repository.path("data/routellm/gsm8k.jsonl.gz"))) ?? []

    struct Deployment {
        var coordinator: ServiceProcess
        var routers: [ServiceProcess]
        var frontDoor: HTTPCaller
        var store: String
        var routerFile: String
    }

    func deploy(_ cluster: Cluster) async throws -> Deployment {
        let routerFile = try await RouterFiles.gsm8k(in: cluster)
        let coordinator = try await cluster.start("switchyard-coordinator", ["--health-interval", "200ms"], name: "coordinator")
        var routers: [ServiceProcess] = []
        for i in 1...2 {
            routers.append(try await cluster.start(
                "switchyard-router", ["--router-file", routerFile, "--coordinator", coordinator.address, "--replica-id", "r\(i)"], name: "router-\(i)"))
        }
        let store = "sqlite:" + cluster.folder.appendingPathComponent("outcomes.sqlite").path
        _ = try await cluster.start("switchyard-gateway", [
            "--config", Repository.path("deploy/config/gateway-replay.json"), "--router", coordinator.address, "--store", store,
            "--openai-port", "0", "--openai-port-file", cluster.folder.appendingPathComponent("openai.port").path,
        ], name: "gateway")
        return Deployment(
            coordinator: coordinator, routers: routers, frontDoor: try HTTPCaller(cluster.frontDoor(portFile: "openai.port")),
            store: store, routerFile: routerFile)
    }

    func learner(_ cluster: Cluster, _ deployment: Deployment, name: String) async throws -> ServiceProcess {
        try await cluster.start("switchyard-learner", [
            "--store", deployment.store, "--router-file", deployment.routerFile, "--push", deployment.coordinator.address,
            "--gateway-config", Repository.path("deploy/config/gateway-replay.json"), "--publish-interval", "500ms",
        ], name: name)
    }

    /// Sends prompts through the front door and rates each answer with its model's recorded
    /// score, until `stop`; counts answers and acknowledged scores.
    final class Traffic: Sendable {
        let answers = Atomic(0)
        let failures = Atomic(0)
        let acknowledged = Mutex<Set<String>>([])
        let stop = Atomic(false)

        func run(_ frontDoor: HTTPCaller, clients: Int) async {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask { [self] in
                        var i = client
                        while !stop.load(ordering: .relaxed) {
                            let line = LearnerClusterTests.lines[i % LearnerClusterTests.lines.count]
                            i += clients
                            await once(frontDoor, line)
                        }
                    }
                }
            }
        }

        private func once(_ frontDoor: HTTPCaller, _ line: DatasetLine) async {
            let chat = try! Array(JSONSerialization.data(withJSONObject: [
                "model": "switchyard:alpha=0.9", "messages": [["role": "user", "content": line.prompt]],
            ]))
            guard let reply = try? await frontDoor.post("/chat/completions", headers: [("Content-Type", "application/json")], body: chat, timeout: .seconds(10)),
                reply.status == 200, let id = reply.headers["x-switchyard-request-id"].first, let model = reply.headers["x-switchyard-model"].first
            else {
                failures.add(1, ordering: .relaxed)
                return
            }
            answers.add(1, ordering: .relaxed)
            let score = line.scores[model] ?? 0
            let rating = try! Array(JSONSerialization.data(withJSONObject: ["id": id, "score": score]))
            if let answer = try? await frontDoor.post("/feedback", headers: [("Content-Type", "application/json")], body: rating, timeout: .seconds(10)),
                answer.status == 200 {
                _ = acknowledged.withLock { $0.insert(id) }
            }
        }
    }

    func status(_ client: RPCClient) async throws -> StatusResponse { try await client.call(Methods.status, StatusRequest()) }

    /// Polls until `condition` holds (at most `seconds`); the last value it saw otherwise.
    func eventually<T>(_ seconds: Double, _ probe: () async throws -> T, _ condition: (T) -> Bool) async throws -> (T, Bool) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last = try await probe()
        while !condition(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            last = try await probe()
        }
        return (last, condition(last))
    }

    @Test func versionsReachEveryReplicaAndALearnerKilledUnderLoadLosesNoScore() async throws {
        try #require(!Self.lines.isEmpty)
        try await Cluster.with { cluster in
            let deployment = try await deploy(cluster)
            var learner = try await learner(cluster, deployment, name: "learner-1")
            try await cluster.waitUntilServing(learner)
            let routerClients = try deployment.routers.map { try cluster.client($0) }
            var learnerClient = try cluster.client(learner)
            let traffic = Traffic()
            let load = Task { await traffic.run(deployment.frontDoor, clients: 4) }

            // Versions follow the scores onto every replica within the publish interval (and the
            // time a cycle takes).
            let (learnt, published) = try await eventually(15, { try await status(learnerClient).learner! }) { $0.learned >= 50 && $0.published >= 2 }
            #expect(published, "\(learnt)")
            let newest = learnt.servingVersion
            #expect(newest.contains("+learned."))
            let (served, everywhere) = try await eventually(3, {
                try await routerClients.asyncMap { try await status($0).router!.routerVersion }
            }) { versions in versions.allSatisfy { Self.number($0) >= Self.number(newest) } }
            #expect(everywhere, "replicas serve \(served), the learner published \(newest)")

            // SIGKILL the learner with scores flowing: routing carries on, on the last version.
            learner.kill()
            let killedAt = try await routerClients.asyncMap { try await status($0).router!.routerVersion }
            let answersBefore = traffic.answers.load(ordering: .relaxed)
            try await Task.sleep(for: .seconds(2))
            #expect(traffic.answers.load(ordering: .relaxed) > answersBefore + 20, "routing continues without the learner")
            #expect(try await routerClients.asyncMap { try await status($0).router!.routerVersion } == killedAt)

            // A new learner replays the store: once the traffic stops, it has learned from every
            // score a client saw acknowledged.
            learner = try await self.learner(cluster, deployment, name: "learner-2")
            try await cluster.waitUntilServing(learner)
            learnerClient = try cluster.client(learner)
            try await Task.sleep(for: .seconds(1))
            traffic.stop.store(true, ordering: .relaxed)
            await load.value
            let acknowledged = traffic.acknowledged.withLock { $0.count }
            let (final, complete) = try await eventually(10, { try await status(learnerClient).learner! }) {
                Int($0.learned + $0.skipped) >= acknowledged
            }
            #expect(complete, "learned \(final.learned) + skipped \(final.skipped) of \(acknowledged) acknowledged scores")
            #expect(final.skipped == 0 && Int(final.learned) == acknowledged, "every score is learned, once: \(final.learned) of \(acknowledged)")
            #expect(traffic.failures.load(ordering: .relaxed) == 0)
            let (after, caughtUp) = try await eventually(5, {
                try await routerClients.asyncMap { try await status($0).router!.routerVersion }
            }) { versions in versions.allSatisfy { $0 == final.servingVersion } && Self.number(final.servingVersion) > Self.number(newest) }
            #expect(caughtUp, "replicas \(after), learner \(final.servingVersion)")

            // The versions are in the store, and `switchyard router versions` lists them.
            let listed = try await Cluster.capture("switchyard", ["router", "versions", "--store", deployment.store, "--limit", "3"])
            #expect(listed.status == 0 && listed.output.contains(final.servingVersion + "  ") && listed.output.contains("[serving]"), "\(listed)")
        }
    }

    @Test func ofTwoLearnersOnOneStoreOneWritesAndTheOtherTakesOverWhenItStops() async throws {
        try await Cluster.with { cluster in
            let deployment = try await deploy(cluster)
            let first = try await learner(cluster, deployment, name: "learner-a")
            try await cluster.waitUntilServing(first)
            let second = try await learner(cluster, deployment, name: "learner-b")
            let secondClient = try cluster.client(second)
            try await Task.sleep(for: .seconds(1.5))
            let waiting = try await status(secondClient).learner!
            #expect(!waiting.holdsLease && !waiting.leaseHolder.isEmpty && waiting.published == 0, "\(waiting)")
            #expect(try await secondClient.call(Methods.health, HealthRequest()).status == .notServing)
            #expect(second.logText.contains("waiting: another learner holds the store's lease"))
            // The first stops (SIGTERM lets go of the lease): the second takes over at once.
            #expect(first.stop() == 0)
            let (took, over) = try await eventually(5, { try await status(secondClient).learner! }) { $0.holdsLease }
            #expect(over, "\(took)")
            #expect(try await secondClient.call(Methods.health, HealthRequest()).status == .serving)
        }
    }

    /// The publication number of "…+learned.N" (0 for a file that is not a learned version).
    static func number(_ version: String) -> Int {
        version.range(of: "+learned.").flatMap { Int(version[$0.upperBound...]) } ?? 0
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
