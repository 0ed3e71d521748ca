import Foundation
import RPC
import Store
import Synchronization
import Wire

/// The figures of the dashboard (`GET /dashboard/data`), aggregated here, never per request in
/// the browser: once a second the gateway's counters are sampled into a ring of ten minutes
/// (what the ledger and the exploration budget count anyway; no work per request), and a
/// snapshot is built from the ring, the latencies learned, the keys' spend and, at most every
/// `slowInterval`, the store (recent decisions, quality from feedback, router versions) and the
/// router replicas' Status. However many pages poll, a snapshot is built at most once a second.
public final class DashboardFeed: Sendable {
    let complete: CompleteHandler
    let keys: FrontDoorKeys?
    let reader: StoreReader?
    let fleet: RouterFleet?
    let slowInterval: Duration
    /// Seconds of history kept (one sample a second).
    static let historySeconds = 600
    /// Seconds of history a snapshot's series cover.
    static let seriesSeconds = 300
    /// The latest scores (within 24 hours) quality is counted from: a bounded read at any rate.
    static let qualityScores = 20_000

    private let samples = Mutex<[Sample]>([])
    private let cache = Mutex<(builtAt: Double, json: [UInt8])?>(nil)
    private let slow = Mutex<(refreshedAt: Double, parts: SlowParts)?>(nil)
    private let clock: @Sendable () -> Double

    public init(
        complete: CompleteHandler, keys: FrontDoorKeys?, reader: StoreReader?, fleet: RouterFleet?, slowInterval: Duration = .seconds(5),
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.complete = complete
        self.keys = keys
        self.reader = reader
        self.fleet = fleet
        self.slowInterval = slowInterval
        self.clock = clock
    }

    /// The gateway's cumulative counters at one instant.
    struct Sample {
        var t: Double
        var models: [String: ModelUsage]
        var routed: UInt64
        var fallbacks: UInt64
        var exploredAnswers: Int
        var exploredUSD: Double
    }

    /// Takes this second's sample (the gateway calls it every second).
    public func sample() {
        let status = complete.ledger.status
        let explored = complete.recorder.exploration.today
        let sample = Sample(
            t: clock(), models: Dictionary(uniqueKeysWithValues: status.models.map { ($0.model, $0) }), routed: status.routed,
            fallbacks: status.fallbacks, exploredAnswers: explored.answers, exploredUSD: explored.usd)
        samples.withLock { samples in
            samples.append(sample)
            if samples.count > Self.historySeconds + 1 { samples.removeFirst(samples.count - Self.historySeconds - 1) }
        }
    }

    /// The snapshot as JSON: built now, or the one built less than a second ago.
    public func snapshot() async -> [UInt8] {
        let now = clock()
        if let cached = cache.withLock({ $0 }), now - cached.builtAt < 1 { return cached.json }
        let slowParts = await slowParts(now: now)
        let object = build(now: now, slow: slowParts)
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? []
        cache.withLock { $0 = (now, json) }
        return json
    }

    // MARK: - What the store and the routers say (refreshed every `slowInterval`)

    struct SlowParts: Sendable {
        var recent: [OutcomeRecord] = []
        var quality: [QualityCell] = []
        var versions: [RouterVersion] = []
        var replicas: [RouterFleet.Replica] = []
        var problems: [String] = []
    }

    private func slowParts(now: Double) async -> SlowParts {
        if let held = slow.withLock({ $0 }), now - held.refreshedAt < slowInterval.seconds { return held.parts }
        var parts = SlowParts()
        if let reader {
            do {
                parts.recent = try await reader.recent(limit: 200)
                parts.quality = try await reader.quality(sinceMs: Int64((now - 86_400) * 1000), latest: Self.qualityScores)
            } catch {
                parts.problems.append("store: \(error.message)")
            }
            // A store no learner has used has router versions all the same (the table exists).
            parts.versions = (try? await reader.versions(limit: 20)) ?? []
        }
        if let fleet { parts.replicas = await fleet.replicas() }
        slow.withLock { $0 = (now, parts) }
        return parts
    }

    // MARK: - The snapshot

    private func build(now: Double, slow: SlowParts) -> [String: Any] {
        let history = samples.withLock { $0 }
        let status = complete.ledger.status
        let latencies = complete.recorder.latencies.latencies
        let exploration = complete.recorder.exploration
        let today = exploration.today
        var object: [String: Any] = ["generated_ms": Int64(now * 1000), "problems": slow.problems]
        object["series"] = series(history)
        let answered = status.models.reduce(0) { $0 + $1.requests }
        let failures = status.models.reduce(0) { $0 + $1.failures }
        object["totals"] = [
            "answers": answered, "upstream_failures": failures, "routed": status.routed, "fallbacks": status.fallbacks,
            "cost_usd": status.totalCostUSD,
        ] as [String: Any]
        object["money"] = money(status, recent: slow.recent)
        object["models"] = status.models.map { usage -> [String: Any] in
            let latency = latencies.first { $0.model == usage.model }
            return [
                "model": usage.model, "answers": usage.requests, "failures": usage.failures, "cost_usd": usage.costUSD,
                "input_tokens": usage.inputTokens, "output_tokens": usage.outputTokens,
                "latency_p50_ms": latency?.p50Ms ?? 0, "latency_p90_ms": latency?.p90Ms ?? 0,
                "first_token_p50_ms": latency?.firstTokenP50Ms ?? 0, "first_token_p90_ms": latency?.firstTokenP90Ms ?? 0,
            ]
        }
        object["exploration"] = [
            "share": exploration.share, "budget_usd": exploration.dailyUSD, "spent_today_usd": today.usd, "answers_today": today.answers,
        ] as [String: Any]
        object["keys"] = (keys?.keys ?? []).map { key -> [String: Any] in
            var entry: [String: Any] = ["name": key.name, "spent_today_usd": complete.ledger.spentToday(by: key.name)]
            if let budget = key.dailyBudgetUSD { entry["daily_budget_usd"] = budget }
            return entry
        }
        object["quality"] = quality(slow.quality)
        object["routers"] = routers(slow)
        object["recent"] = slow.recent.prefix(25).map { record -> [String: Any] in
            [
                "id": record.id, "created_ms": record.createdMs, "model": record.model ?? "", "status": record.status,
                "cost_usd": record.costUSD, "latency_ms": record.latencyMs, "explored": record.explored,
                "fallbacks": record.attempts.filter { $0.status != 0 }.map(\.model), "key": record.key ?? "",
                "router_version": record.routerVersion ?? "",
            ]
        }
        return object
    }

    /// Per second over the last `seriesSeconds`: answers (each model's and all), upstream
    /// failures, fallbacks and dollars, from the differences of consecutive samples.
    private func series(_ history: [Sample]) -> [String: Any] {
        let window = Array(history.suffix(Self.seriesSeconds + 1))
        guard window.count >= 2 else { return ["t_ms": [Int64](), "answers": [Double](), "models": [String: [Double]]()] }
        let names = Set(window.last!.models.keys).sorted()
        var times: [Int64] = [], answers: [Double] = [], failures: [Double] = [], fallbacks: [Double] = [], dollars: [Double] = []
        var perModel = Dictionary(uniqueKeysWithValues: names.map { ($0, [Double]()) })
        for (before, after) in zip(window, window.dropFirst()) {
            let seconds = max(after.t - before.t, 1e-3)
            func rate(_ a: Double, _ b: Double) -> Double { max(0, b - a) / seconds }
            times.append(Int64(after.t * 1000))
            var all = 0.0, failed = 0.0, spent = 0.0
            for name in names {
                let a = before.models[name], b = after.models[name]
                let answered = rate(Double(a?.requests ?? 0), Double(b?.requests ?? 0))
                perModel[name]!.append(answered)
                all += answered
                failed += rate(Double(a?.failures ?? 0), Double(b?.failures ?? 0))
                spent += rate(a?.costUSD ?? 0, b?.costUSD ?? 0)
            }
            answers.append(all)
            failures.append(failed)
            dollars.append(spent)
            fallbacks.append(rate(Double(before.fallbacks), Double(after.fallbacks)))
        }
        return ["t_ms": times, "answers": answers, "upstream_failures": failures, "fallbacks": fallbacks, "cost_usd": dollars, "models": perModel]
    }

    /// What was spent against two baselines priced on the same tokens: every answer from the
    /// best model (the one the router predicts best on average over the recent decisions; the
    /// dearest configured without records) and from the cheapest (the one it predicts cheapest;
    /// the cheapest configured without).
    private func money(_ status: GatewayStatus, recent: [OutcomeRecord]) -> [String: Any] {
        let input = status.models.reduce(0) { $0 + Double($1.inputTokens) }
        let output = status.models.reduce(0) { $0 + Double($1.outputTokens) }
        let configured = complete.upstreams.values.map(\.configuration)
        func priced(_ c: UpstreamConfiguration) -> Double { (input * c.inputPerMillion + output * c.outputPerMillion) / 1e6 }
        func listPrice(_ c: UpstreamConfiguration) -> Double { c.inputPerMillion + c.outputPerMillion }
        var quality: [String: (sum: Double, n: Double)] = [:], cost: [String: (sum: Double, n: Double)] = [:]
        for record in recent {
            for candidate in record.candidates where complete.upstreams[candidate.model] != nil {
                quality[candidate.model, default: (0, 0)].sum += candidate.predictedQuality
                quality[candidate.model, default: (0, 0)].n += 1
                cost[candidate.model, default: (0, 0)].sum += candidate.predictedCostUSD
                cost[candidate.model, default: (0, 0)].n += 1
            }
        }
        let best = quality.max { $0.value.sum / $0.value.n < $1.value.sum / $1.value.n }?.key
            ?? configured.max { listPrice($0) < listPrice($1) }?.name
        let cheapest = cost.min { $0.value.sum / $0.value.n < $1.value.sum / $1.value.n }?.key
            ?? configured.min { listPrice($0) < listPrice($1) }?.name
        var money: [String: Any] = ["spent_usd": status.totalCostUSD, "basis": quality.isEmpty ? "price" : "router"]
        if let best, let c = complete.upstreams[best]?.configuration {
            money["best_model"] = best
            money["always_best_usd"] = priced(c)
        }
        if let cheapest, let c = complete.upstreams[cheapest]?.configuration {
            money["cheapest_model"] = cheapest
            money["always_cheapest_usd"] = priced(c)
        }
        return money
    }

    /// Mean feedback score per model and per (cluster, model), users' and the judge's apart.
    private func quality(_ cells: [QualityCell]) -> [String: Any] {
        struct Tally { var user = (n: 0, sum: 0.0), judge = (n: 0, sum: 0.0) }
        var byModel: [String: Tally] = [:], byCluster: [Int: [String: Tally]] = [:]
        for cell in cells {
            func add(_ tally: inout Tally) {
                switch cell.source {
                case .user: tally.user = (tally.user.n + cell.count, tally.user.sum + cell.scoreSum)
                case .judge: tally.judge = (tally.judge.n + cell.count, tally.judge.sum + cell.scoreSum)
                }
            }
            add(&byModel[cell.model, default: Tally()])
            if let cluster = cell.cluster { add(&byCluster[cluster, default: [:]][cell.model, default: Tally()]) }
        }
        func entry(_ model: String, _ t: Tally) -> [String: Any] {
            var entry: [String: Any] = ["model": model, "user_count": t.user.n, "judge_count": t.judge.n]
            if t.user.n > 0 { entry["user_mean"] = t.user.sum / Double(t.user.n) }
            if t.judge.n > 0 { entry["judge_mean"] = t.judge.sum / Double(t.judge.n) }
            return entry
        }
        return [
            "window_hours": 24, "latest_scores": Self.qualityScores,
            "by_model": byModel.keys.sorted().map { entry($0, byModel[$0]!) },
            "by_cluster": byCluster.keys.sorted().map { cluster in
                ["cluster": cluster, "models": byCluster[cluster]!.keys.sorted().map { entry($0, byCluster[cluster]![$0]!) }] as [String: Any]
            },
        ]
    }

    /// Each replica's router version and when it was loaded, and when the learner published it.
    private func routers(_ slow: SlowParts) -> [String: Any] {
        let published = Dictionary(slow.versions.map { ($0.version, $0.createdMs) }) { first, _ in first }
        return [
            "replicas": slow.replicas.map { replica -> [String: Any] in
                var entry: [String: Any] = ["address": replica.address, "healthy": replica.healthy, "version": replica.version]
                if replica.loadedMs > 0 { entry["loaded_ms"] = replica.loadedMs }
                if let at = published[replica.version] { entry["published_ms"] = at }
                if let problem = replica.problem { entry["problem"] = problem }
                return entry
            },
            "versions": slow.versions.map { ["version": $0.version, "published_ms": $0.createdMs, "observations": $0.observations] as [String: Any] },
        ]
    }
}
