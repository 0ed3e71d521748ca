import Logging
import Metrics
import RPC
import Store
import Synchronization
import Wire

/// What the gateway keeps of the prompts it routes, in each answer's record.
public enum RecordPrompts: String, Sendable, CaseIterable {
    /// Nothing of the prompt.
    case none
    /// The routed text's embedding, as the router saw it: what learning needs, not the text (the default).
    case embedding
    /// The routed text itself (only when asked: it may hold what users would not want kept).
    case text
}

/// What one request did, gathered while it runs: what its outcome record will say.
struct RequestOutcome: Sendable {
    let id: String
    let started: ContinuousClock.Instant
    let createdMs: Int64
    var key: String?
    /// The router's answer (routed requests), and what else decided it.
    var route: RouteResponse?
    var decision: OutcomeRecord.Decision?
    /// The trace the request belongs to (front-door requests).
    var trace: TraceContext?
    var routingText: String
    var attempts: [Attempt] = []
    /// The model that answered and what its answer cost.
    var answered: Answered?
    var status: StatusCode = .ok
    var streamed = false
    /// When the first streamed piece went to the client.
    var firstPiece: ContinuousClock.Instant?
    /// The answer's text, kept only when the judge will grade it.
    var answerText: String?
    /// What the request holds of its key's budget: the record's booking lets go of it.
    var hold: BudgetHold?

    struct Answered: Sendable {
        var model: String
        var inputTokens: UInt32
        var outputTokens: UInt32
        var tokensEstimated: Bool
        var costUSD: Double
    }

    init(key: String?, routingText: String) {
        started = .now
        createdMs = OutcomeRecord.nowMs()
        id = RequestID.make(nowMs: createdMs)
        self.key = key
        self.routingText = routingText
    }

    /// Milliseconds from the request's arrival to `instant`.
    func milliseconds(to instant: ContinuousClock.Instant) -> Double {
        let elapsed = started.duration(to: instant).components
        return Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
    }
}

/// Keeps a record of every answer in the outcome store (when the gateway has one) before the
/// answer goes out, so an answer a client saw has its record (and its booked cost) in the store
/// even if the gateway is killed right after; and learns each model's latency from the answers.
public final class OutcomeRecorder: Sendable {
    public let store: OutcomeStore?
    public let recordPrompts: RecordPrompts
    public let latencies: LatencyTracker
    /// Grades a sample of the recorded answers; nil without `--judge`.
    public let judge: LLMJudge?
    /// Books what exploring answers cost, and says how much may still explore.
    public let exploration: ExplorationBudget
    private let logger: Logger
    private let lost = Atomic<UInt64>(0)
    private let lostCounter = Counter(label: "switchyard_gateway_records_lost_total")

    public init(store: OutcomeStore? = nil, recordPrompts: RecordPrompts = .embedding, latencies: LatencyTracker = LatencyTracker(),
                judge: LLMJudge? = nil, exploration: ExplorationBudget = .off, logger: Logger = Logger(label: "switchyard.gateway")) {
        self.exploration = exploration
        self.store = store
        self.recordPrompts = recordPrompts
        self.latencies = latencies
        self.judge = judge
        self.logger = logger
    }

    /// Whether the answer to `outcome` will be graded by the judge (so its text must be kept).
    func judges(_ outcome: RequestOutcome) -> Bool { judge?.samples(outcome.id) ?? false }

    /// Whether routed requests should bring their embedding back (to be recorded).
    var wantsEmbedding: Bool { store != nil && recordPrompts == .embedding }

    /// Records whose write failed (the answer went out; its record is missing).
    public var recordsLost: UInt64 { lost.load(ordering: .relaxed) }

    /// Learns from `outcome` and writes its record; returns once the record is committed, then
    /// hands a sampled answer to the judge. A record the store cannot keep is counted and logged,
    /// and the answer still goes out (it was given).
    func finish(_ outcome: RequestOutcome) async {
        let now = ContinuousClock.now
        if let answered = outcome.answered, let attempt = outcome.attempts.last(where: { $0.status == .ok }) {
            latencies.observe(answered.model, totalMs: attempt.latencyMs, firstTokenMs: outcome.firstPiece.map(outcome.milliseconds))
        }
        if outcome.route?.explored == true { exploration.book(outcome.answered?.costUSD ?? 0) }
        guard let store else { return }
        do {
            // A hold in the shared book goes in the transaction that books the cost (one in
            // this gateway's memory went when the cost was booked in its ledger).
            try await store.record(record(of: outcome, endedAt: now), settling: outcome.hold.flatMap { $0.isLocal ? nil : $0.id })
            if let judge, outcome.status == .ok, outcome.answered != nil, let answer = outcome.answerText {
                judge.grade(id: outcome.id, question: outcome.routingText, answer: answer)
            }
        } catch {
            lost.add(1, ordering: .relaxed)
            lostCounter.increment()
            Tracing.logger(logger, outcome.trace)
                .error("outcome record lost", metadata: ["request_id": "\(outcome.id)", "error": "\(error)"])
        }
    }

    func record(of outcome: RequestOutcome, endedAt end: ContinuousClock.Instant) -> OutcomeRecord {
        let route = outcome.route
        return OutcomeRecord(
            id: outcome.id, createdMs: outcome.createdMs, key: outcome.key, router: route?.router, routerVersion: route?.routerVersion,
            candidates: route?.scores.map {
                OutcomeRecord.Candidate(model: $0.model, predictedQuality: $0.predictedQuality, predictedCostUSD: $0.predictedCostUSD, score: $0.score)
            } ?? [],
            model: outcome.answered?.model,
            attempts: outcome.attempts.map {
                OutcomeRecord.Attempt(
                    model: $0.model, status: $0.status.rawValue, error: $0.errorMessage.isEmpty ? nil : $0.errorMessage, latencyMs: $0.latencyMs)
            },
            status: outcome.status.rawValue, costUSD: outcome.answered?.costUSD ?? 0, inputTokens: outcome.answered?.inputTokens ?? 0,
            outputTokens: outcome.answered?.outputTokens ?? 0, tokensEstimated: outcome.answered?.tokensEstimated ?? false,
            firstTokenMs: outcome.firstPiece.map(outcome.milliseconds), latencyMs: outcome.milliseconds(to: end), streamed: outcome.streamed,
            embedding: recordPrompts == .embedding && !(route?.embedding.isEmpty ?? true) ? route?.embedding : nil,
            prompt: recordPrompts == .text ? outcome.routingText : nil, explored: route?.explored ?? false,
            decision: outcome.decision.map { decision in
                var decision = decision
                decision.traceID = outcome.trace?.traceID
                return decision
            })
    }
}
