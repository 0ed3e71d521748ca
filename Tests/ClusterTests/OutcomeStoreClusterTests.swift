import Foundation
import RPC
import Store
import StoreTestSupport
import Synchronization
import Testing
import UpstreamHTTP
import Wire

/// What the clients of a load saw acknowledged: the answers (request id → the cost the answer
/// said it booked) and the feedback accepted (request id → score), per phase of the test.
final class Acknowledged: Sendable {
    struct Phase {
        var answers: [String: Double] = [:]
        var feedback: [String: Double] = [:]
        /// Statuses other than 200, by what was sent.
        var chatRefusals: [Int: Int] = [:]
        var feedbackRefusals: [Int: Int] = [:]
    }

    private let state = Mutex((phase: 0, phases: [Phase()]))
    /// Set to end the clients' loops.
    let stopping = Atomic(false)

    /// Starts counting into a new phase; returns its number.
    @discardableResult func nextPhase() -> Int {
        state.withLock { state in
            state.phases.append(Phase())
            state.phase += 1
            return state.phase
        }
    }

    func phase(_ number: Int) -> Phase { state.withLock { $0.phases[number] } }
    var all: Phase {
        state.withLock { state in
            state.phases.reduce(into: Phase()) { all, phase in
                all.answers.merge(phase.answers) { a, _ in a }
                all.feedback.merge(phase.feedback) { a, _ in a }
            }
        }
    }

    func record(_ update: (inout Phase) -> Void) {
        state.withLock { state in update(&state.phases[state.phase]) }
    }
}

/// The outcome store under faults, with the gateway as a process: killed with SIGKILL under load
/// while feedback flows, and its PostgreSQL stopped for ten seconds.
@Suite(.timeLimit(.minutes(3))) struct OutcomeStoreClusterTests {
    static let key = "sk-team-0123456789abcdef"

    /// A gateway on `store` whose one upstream ("small", 12 + 34 tokens at $1/M and $2/M an
    /// answer) is `upstreamURL`, with a front door for the key "team"; and its front door.
    func gateway(in cluster: Cluster, store: String, upstreamURL: String, extra: [String] = []) async throws -> (ServiceProcess, HTTPCaller) {
        let config = cluster.folder.appendingPathComponent("gateway.json")
        try JSONSerialization.data(withJSONObject: ["upstreams": [[
            "name": "small", "kind": "openai", "base_url": upstreamURL, "input_per_million": 1, "output_per_million": 2, "timeout_seconds": 5,
        ]]]).write(to: config)
        let keys = cluster.folder.appendingPathComponent("keys.json")
        try JSONSerialization.data(withJSONObject: ["keys": [["name": "team", "key": Self.key, "daily_budget_usd": 1000]]]).write(to: keys)
        let portFile = "openai-\(UUID().uuidString).port"
        let process = try await cluster.start("switchyard-gateway", [
            "--config", config.path, "--openai-port", "0", "--openai-port-file", cluster.folder.appendingPathComponent(portFile).path,
            "--openai-keys", keys.path, "--store", store,
        ] + extra)
        return (process, try HTTPCaller(cluster.frontDoor(portFile: portFile)))
    }

    /// `clients` loops, each sending a chat completion and rating its answer, until `tally.stopping`.
    func drive(_ frontDoor: HTTPCaller, clients: Int, into tally: Acknowledged) async {
        let headers = [("Content-Type", "application/json"), ("Authorization", "Bearer \(Self.key)")]
        let chat = Array(#"{"model": "small", "messages": [{"role": "user", "content": "What is 6 times 7?"}]}"#.utf8)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while !tally.stopping.load(ordering: .relaxed) {
                        guard let reply = try? await frontDoor.post("/chat/completions", headers: headers, body: chat, timeout: .seconds(10)) else {
                            try? await Task.sleep(for: .milliseconds(20))
                            continue
                        }
                        guard reply.status == 200, let id = reply.headers.first(name: "x-switchyard-request-id"),
                              let cost = reply.headers.first(name: "x-switchyard-cost-usd").flatMap(Double.init)
                        else {
                            tally.record { $0.chatRefusals[reply.status, default: 0] += 1 }
                            continue
                        }
                        tally.record { $0.answers[id] = cost }
                        let score = Double(Int.random(in: 0...100)) / 100
                        let body = Array(#"{"id": "\#(id)", "score": \#(score)}"#.utf8)
                        guard let rated = try? await frontDoor.post("/feedback", headers: headers, body: body, timeout: .seconds(10)) else { continue }
                        if rated.status == 200 {
                            tally.record { $0.feedback[id] = score }
                        } else {
                            tally.record { $0.feedbackRefusals[rated.status, default: 0] += 1 }
                        }
                    }
                }
            }
        }
    }

    /// Every answer the clients saw has its record with the cost it said, every acknowledged
    /// score is there, and the key's spend is the sum of its records' costs.
    func expectEverythingAcknowledgedIsIn(_ location: StoreLocation, _ seen: Acknowledged.Phase) async throws {
        let store = try OutcomeStore(location)
        defer { store.close() }
        let stored = try await store.outcomes(fromMs: .min, toMs: .max, limit: 1_000_000)
        let byID = Dictionary(stored.map { ($0.record.id, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = seen.answers.keys.filter { byID[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) of \(seen.answers.count) answers the clients saw have no record")
        let wrongCost = seen.answers.filter { id, cost in byID[id].map { abs($0.record.costUSD - cost) > 1e-8 } ?? false }
        #expect(wrongCost.isEmpty, "records whose cost is not the one the answer said: \(wrongCost.count)")
        let lostFeedback = seen.feedback.filter { id, score in byID[id]?.feedback.first(where: { $0.source == .user })?.score != score }
        #expect(lostFeedback.isEmpty, "\(lostFeedback.count) of \(seen.feedback.count) acknowledged scores are not in the store")
        let booked = stored.filter { $0.record.key == "team" }.reduce(0) { $0 + $1.record.costUSD }
        let day = Int(Date().timeIntervalSince1970 / 86_400)
        let spend = try await store.spend(day: day)["team"] ?? 0
        #expect(abs(spend - booked) < 1e-9, "the key's spend ($\(spend)) is the sum of its records' costs ($\(booked))")
        #expect(spend + 1e-9 >= seen.answers.values.reduce(0, +), "every cost a client saw is booked")
    }

    @Test(arguments: Database.allCases)
    func everyAcknowledgedScoreAndBookedCostSurvivesASIGKILLUnderLoad(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let upstream = FakeOpenAI(.answer("42"))
        let upstreamURL = try await upstream.start()
        try await Cluster.with { cluster in
            let store = switch location {
            case .sqlite(let path): "sqlite:\(path)"
            case .postgres(let url): url
            }
            let (gateway, frontDoor) = try await gateway(in: cluster, store: store, upstreamURL: upstreamURL)
            let tally = Acknowledged()
            async let load: Void = drive(frontDoor, clients: 8, into: tally)
            // Kill it mid-stream, once a good number of answers and scores went through.
            let started = ContinuousClock.now
            while tally.all.feedback.count < 300, started.duration(to: .now) < .seconds(20) { try await Task.sleep(for: .milliseconds(50)) }
            gateway.kill()
            tally.stopping.store(true, ordering: .relaxed)
            await load
            let seen = tally.all
            #expect(seen.feedback.count >= 300, "load flowed before the kill: \(seen.answers.count) answers, \(seen.feedback.count) scores")
            #expect(tally.phase(0).chatRefusals.isEmpty && tally.phase(0).feedbackRefusals.isEmpty)
            try await expectEverythingAcknowledgedIsIn(location, seen)
            print("SIGKILL under load (\(database)): \(seen.answers.count) answers and \(seen.feedback.count) scores acknowledged before the kill, all in the store")

            // A gateway started again on the same store serves, and knows the answers of before.
            let (restarted, again) = try await self.gateway(in: cluster, store: store, upstreamURL: upstreamURL, extra: ["--metrics-port", "0"])
            let (id, _) = try #require(seen.feedback.first)
            let rerated = try await again.post(
                "/feedback", headers: [("Authorization", "Bearer \(Self.key)")], body: Array(#"{"id": "\#(id)", "score": 1}"#.utf8),
                timeout: .seconds(10))
            #expect(rerated.status == 200 && String(decoding: rerated.body, as: UTF8.self).contains(#""replaced":true"#))
            // Its answers' latencies and its store show on /metrics.
            let answered = try await again.post(
                "/chat/completions", headers: [("Authorization", "Bearer \(Self.key)")],
                body: Array(#"{"model": "small", "messages": [{"role": "user", "content": "hi"}]}"#.utf8), timeout: .seconds(10))
            #expect(answered.status == 200)
            let status = try await cluster.client(restarted).call(Methods.status, StatusRequest())
            let metrics = String(decoding: try await HTTPCaller(url: "http://\(status.metricsAddress)").get("/metrics", timeout: .seconds(5)).body, as: UTF8.self)
            #expect(metrics.contains(#"switchyard_gateway_latency_ms{model="small",phase="total",quantile="0.5"}"#), "\(metrics)")
            #expect(metrics.contains("switchyard_gateway_store_pending 0"))
        }
        await upstream.server.shutdown()
    }

    /// PostgreSQL stopped for ten seconds under load: answers go on (records wait in the spill
    /// file), scores are refused 503 (never acknowledged and dropped), and when the database is
    /// back the spilled records move in and everything acknowledged is there.
    @Test func aTenSecondPostgresOutageLosesNothingAcknowledged() async throws {
        guard let postgres = try PrivatePostgres.start() else { return }
        defer { postgres.remove() }
        let upstream = FakeOpenAI(.answer("42"))
        let upstreamURL = try await upstream.start()
        try await Cluster.with { cluster in
            let spill = cluster.folder.appendingPathComponent("spill.sqlite").path
            let (gateway, frontDoor) = try await gateway(in: cluster, store: postgres.url, upstreamURL: upstreamURL, extra: ["--store-spill", spill])
            let tally = Acknowledged()
            async let load: Void = drive(frontDoor, clients: 4, into: tally)
            try await Task.sleep(for: .seconds(2))
            let outage = tally.nextPhase()
            try await offloaded { try postgres.stop() }
            try await Task.sleep(for: .seconds(10))
            try await offloaded { try postgres.start() }
            let after = tally.nextPhase()
            try await Task.sleep(for: .seconds(3))
            tally.stopping.store(true, ordering: .relaxed)
            await load

            let during = tally.phase(outage)
            #expect(during.answers.count > 50, "requests were answered while the database was away: \(during.answers.count)")
            for phase in [0, outage, after] { #expect(tally.phase(phase).chatRefusals.isEmpty, "phase \(phase): \(tally.phase(phase).chatRefusals)") }
            #expect((during.feedbackRefusals[503] ?? 0) > 0, "scores are refused while the database is away: \(during.feedbackRefusals)")
            #expect(Set(during.feedbackRefusals.keys).isSubset(of: [503]))
            #expect(tally.phase(after).feedback.count > 0, "scores are taken again once it is back")

            // The spill drains into the database; then everything acknowledged is in it.
            let status = try cluster.client(gateway)
            let waiting = ContinuousClock.now
            while try await status.call(Methods.status, StatusRequest()).gateway?.store?.spilled ?? 0 > 0, waiting.duration(to: .now) < .seconds(30) {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await status.call(Methods.status, StatusRequest()).gateway?.store?.spilled == 0)
            try await expectEverythingAcknowledgedIsIn(.postgres(url: postgres.url), tally.all)
            print(
                "PostgreSQL away 10 s: \(during.answers.count) answers during the outage (\(tally.all.answers.count) in all), "
                    + "\(during.feedbackRefusals[503] ?? 0) scores refused 503 during it, \(tally.all.feedback.count) acknowledged in all; all in the database after")
            // An answer given while the database was away can be rated now.
            let (id, _) = try #require(during.answers.first { tally.all.feedback[$0.key] == nil })
            let rated = try await frontDoor.post(
                "/feedback", headers: [("Authorization", "Bearer \(Self.key)")], body: Array(#"{"id": "\#(id)", "score": 0.5}"#.utf8),
                timeout: .seconds(10))
            #expect(rated.status == 200)
        }
        await upstream.server.shutdown()
    }
}
