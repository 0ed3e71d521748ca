import Foundation
import Logging
import Metrics
import Store
import Synchronization
import Wire

/// Grades a sample of the gateway's answers with a model (`--judge MODEL --judge-sample 0.05
/// --judge-budget-usd D`) and records each grade as feedback from the `judge` source: the
/// learner's signal for traffic no application rates. Grading runs after the answer has gone out,
/// never on the request path; at most `maxInFlight` grades at once (a sampled answer beyond that
/// is skipped and counted). The judge's calls are paid from their own daily budget, booked in the
/// store (as `switchyard:judge`) so a restart does not renew it. A grade the judge's reply does
/// not state in the asked form is counted as unparseable, never guessed.
public final class LLMJudge: Sendable {
    /// How the judge works.
    public struct Settings: Sendable {
        /// The upstream that grades.
        public var model: String
        /// The share of answers graded, in [0, 1]; which ones follows from their request ids.
        public var sample: Double
        /// Dollars the judge may spend per UTC day.
        public var dailyBudgetUSD: Double
        /// Grades running at once, at most.
        public var maxInFlight = 4
        /// The judge's reply, at most: the rating alone needs a few tokens.
        public var maxTokens: UInt32 = 64
        /// Characters of the question and of the answer shown to the judge, at most each.
        public var textLimit = 8_000

        public init(model: String, sample: Double, dailyBudgetUSD: Double) {
            (self.model, self.sample, self.dailyBudgetUSD) = (model, sample, dailyBudgetUSD)
        }
    }

    /// The spend key the judge's dollars are booked under.
    public static let spendKey = "switchyard:judge"

    public let settings: Settings
    private let upstream: any Upstream
    private let store: OutcomeStore
    private let today: @Sendable () -> Int
    private let logger: Logger
    private let state = Mutex(State())
    private let results = Dictionary(
        uniqueKeysWithValues: Result.allCases.map { ($0, Counter(label: "switchyard_gateway_judge_total", dimensions: [("result", $0.rawValue)])) })
    private let dollars = FloatingPointCounter(label: "switchyard_gateway_judge_cost_usd_total")

    private struct State {
        var day = 0
        var spent = 0.0
        /// Dollars the grades in flight may cost, at most.
        var reserved = 0.0
        var counts: [Result: UInt64] = [:]
        var running: [Int: Task<Void, Never>] = [:]
        var nextTask = 0

        /// Starts a new day's spending when the day has changed.
        mutating func rollOver(to day: Int) {
            if day != self.day {
                self.day = day
                spent = 0
                reserved = 0
            }
        }
    }

    /// What became of a sampled answer.
    enum Result: String, CaseIterable, Sendable {
        case graded, unparseable, failed
        /// Not sent: the judge's budget for today would not cover it.
        case overBudget = "over_budget"
        /// Not sent: `maxInFlight` grades were running.
        case busy
    }

    /// - Parameters:
    ///   - upstream: the model that grades (`settings.model`).
    ///   - store: where grades (and the judge's spend) are written.
    ///   - today: the current UTC day as a number, as the cost ledger counts days.
    public init(
        _ settings: Settings, upstream: any Upstream, store: OutcomeStore, today: @escaping @Sendable () -> Int,
        logger: Logger = Logger(label: "switchyard.gateway")
    ) {
        self.settings = settings
        self.upstream = upstream
        self.store = store
        self.today = today
        self.logger = logger
    }

    /// Takes what the judge spent on `day` from the store (at start-up).
    public func restore(spent: Double, day: Int) {
        state.withLock { state in
            state.rollOver(to: day)
            state.spent = max(state.spent, spent)
        }
    }

    /// Whether the answer with request id `id` is in the sample: decided by the id alone (random
    /// characters), so a replayed request is sampled the same way.
    func samples(_ id: String) -> Bool {
        guard settings.sample > 0 else { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Double(hash >> 11) / Double(1 << 53) < settings.sample
    }

    /// Grades the answer `answer` to `question` (request `id`) in the background, when the
    /// budget and the bound on grades in flight allow.
    func grade(id: String, question: String, answer: String) {
        let prompt = Self.prompt(question: String(question.prefix(settings.textLimit)), answer: String(answer.prefix(settings.textLimit)))
        // The most the call may cost: twice the characters/4 estimate of the prompt (tokenizers
        // differ) and the reply's cap.
        let ceiling = upstream.configuration.cost(inputTokens: UpstreamAnswer.estimatedTokens(prompt) * 2, outputTokens: settings.maxTokens)
        let day = today()
        let admitted: Result? = state.withLock { state in
            state.rollOver(to: day)
            if state.running.count >= settings.maxInFlight { return .busy }
            if state.spent + state.reserved + ceiling > settings.dailyBudgetUSD + BudgetSlack.dollars { return .overBudget }
            state.reserved += ceiling
            return nil
        }
        if let admitted { return count(admitted) }
        state.withLock { locked in
            let number = locked.nextTask
            locked.nextTask += 1
            locked.running[number] = Task { [self] in
                let result = await ask(prompt, id: id, ceiling: ceiling, day: day)
                count(result)
                state.withLock { _ = $0.running.removeValue(forKey: number) }
            }
        }
    }

    /// Asks the judge, books what it cost and records the grade.
    private func ask(_ prompt: String, id: String, ceiling: Double, day: Int) async -> Result {
        let reply: UpstreamAnswer
        do {
            reply = try await upstream.complete(
                prompt, maxTokens: settings.maxTokens, timeout: .nanoseconds(Int64(upstream.configuration.timeoutSeconds * 1e9)))
        } catch {
            state.withLock { $0.reserved = max(0, $0.reserved - ceiling) }
            logger.warning("the judge failed", metadata: ["request_id": "\(id)", "judge": "\(settings.model)", "error": "\(error)"])
            return .failed
        }
        let cost = upstream.configuration.cost(inputTokens: reply.inputTokens, outputTokens: reply.outputTokens)
        state.withLock { state in
            state.reserved = max(0, state.reserved - ceiling)
            if state.day == day { state.spent += cost }
        }
        dollars.increment(by: cost)
        do {
            try await store.book(spendUSD: cost, key: Self.spendKey, day: day)
        } catch {
            logger.warning("the judge's spend could not be booked in the store", metadata: ["error": "\(error)"])
        }
        guard let score = Self.score(fromGrade: reply.text) else {
            logger.notice("the judge's reply has no rating", metadata: ["request_id": "\(id)", "reply": "\(reply.text.prefix(200))"])
            return .unparseable
        }
        do {
            _ = try await store.feedback(FeedbackRecord(id: id, score: score, source: .judge, createdMs: OutcomeRecord.nowMs()))
            return .graded
        } catch {
            logger.warning("the judge's grade could not be recorded", metadata: ["request_id": "\(id)", "error": "\(error)"])
            return .failed
        }
    }

    private func count(_ result: Result) {
        state.withLock { $0.counts[result, default: 0] += 1 }
        results[result]?.increment()
    }

    /// Waits for the grades in flight (shutdown, tests).
    public func drain() async {
        while let task = state.withLock({ $0.running.values.first }) { await task.value }
    }

    /// The judge's part of Status.
    public var status: JudgeStatus {
        let day = today()
        return state.withLock { state in
            state.rollOver(to: day)
            var status = JudgeStatus()
            status.model = settings.model
            status.sample = settings.sample
            status.asked = (state.counts[.graded] ?? 0) + (state.counts[.unparseable] ?? 0) + (state.counts[.failed] ?? 0)
            status.graded = state.counts[.graded] ?? 0
            status.unparseable = state.counts[.unparseable] ?? 0
            status.failed = state.counts[.failed] ?? 0
            status.spentTodayUSD = state.spent
            status.dailyBudgetUSD = settings.dailyBudgetUSD
            status.overBudget = state.counts[.overBudget] ?? 0
            status.busy = state.counts[.busy] ?? 0
            return status
        }
    }

    /// The grading prompt: the single-answer rubric of MT-Bench's judge (Zheng et al., 2023),
    /// asking for the rating alone so a grade costs a few output tokens.
    static func prompt(question: String, answer: String) -> String {
        """
        Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user \
        question displayed below. Consider helpfulness, relevance, accuracy, depth and level of detail; an answer that is \
        wrong is a poor answer however well it is written. Do not let the length of the response sway you. Reply with your \
        rating alone, on a scale of 1 to 10, strictly in this format: "Rating: [[5]]".

        [Question]
        \(question)

        [The Start of Assistant's Answer]
        \(answer)
        [The End of Assistant's Answer]
        """
    }

    /// The score on [0, 1] a judge's reply states: its first rating in double brackets ("[[7]]",
    /// or MT-Bench's fallback "[7]"), 1 to 10, mapped linearly (1 → 0, 10 → 1). Nil when the
    /// reply states none, or one outside 1–10.
    static func score(fromGrade reply: String) -> Double? {
        for pattern in [#"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]"#, #"\[\s*(\d+(?:\.\d+)?)\s*\]"#] {
            guard let match = reply.firstMatch(of: try! Regex<(Substring, Substring)>(pattern)) else { continue }
            guard let rating = Double(match.output.1), rating >= 1, rating <= 10 else { return nil }
            return (rating - 1) / 9
        }
        return nil
    }
}
