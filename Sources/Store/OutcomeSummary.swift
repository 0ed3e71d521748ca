import Foundation

/// How routing did over a span of records, per model and per API key: answers, failures and
/// fallbacks, money, latency, and the scores feedback and the judge gave. What
/// `switchyard outcomes summary` prints.
public struct OutcomeSummary: Sendable {
    /// The figures of one model, one key, or everything.
    public struct Row: Sendable, Equatable {
        /// Requests (per key and in total; per model, those it answered or began to).
        public var requests = 0
        /// Requests answered in full.
        public var answers = 0
        /// Per model: its upstream calls that failed. Per key and in total: requests not answered.
        public var failures = 0
        /// Answers from a model other than the router's first choice.
        public var fallbacks = 0
        /// Dollars booked (a stream the client left is paid for what was streamed).
        public var costUSD = 0.0
        /// Answers rated by the application, and the sum of those scores; the same for the judge.
        public var rated = 0
        public var ratedSum = 0.0
        public var judged = 0
        public var judgedSum = 0.0
        /// Answers from a decision that explored, and what they cost.
        public var explored = 0
        public var exploredUSD = 0.0
        fileprivate var latenciesMs: [Double] = []
        fileprivate var firstTokensMs: [Double] = []

        /// The applications' mean score; nil when none was given.
        public var meanScore: Double? { rated > 0 ? ratedSum / Double(rated) : nil }
        /// The judge's mean grade; nil when it graded none.
        public var meanJudged: Double? { judged > 0 ? judgedSum / Double(judged) : nil }
        /// The `q` quantile of answers' total latency (nearest rank), milliseconds.
        public func latencyMs(_ q: Double) -> Double? { Self.quantile(latenciesMs, q) }
        /// The `q` quantile of streamed answers' time to first token, milliseconds.
        public func firstTokenMs(_ q: Double) -> Double? { Self.quantile(firstTokensMs, q) }

        fileprivate mutating func add(_ outcome: StoredOutcome) {
            let record = outcome.record
            requests += 1
            costUSD += record.costUSD
            guard record.model != nil, record.status == 0 else { return }
            answers += 1
            if record.explored {
                explored += 1
                exploredUSD += record.costUSD
            }
            latenciesMs.append(record.latencyMs)
            if let first = record.firstTokenMs { firstTokensMs.append(first) }
            if let top = record.candidates.first, top.model != record.model { fallbacks += 1 }
            if let score = outcome.feedback.first(where: { $0.source == .user })?.score {
                rated += 1
                ratedSum += score
            }
            if let grade = outcome.feedback.first(where: { $0.source == .judge })?.score {
                judged += 1
                judgedSum += grade
            }
        }

        private static func quantile(_ values: [Double], _ q: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
    }

    public private(set) var total = Row()
    public private(set) var models: [String: Row] = [:]
    public private(set) var keys: [String: Row] = [:]
    /// When the first and the last record of the span were made (ms since 1970); nil when empty.
    public private(set) var firstMs: Int64?
    public private(set) var lastMs: Int64?

    public init() {}

    public mutating func add(_ outcome: StoredOutcome) {
        let record = outcome.record
        firstMs = min(firstMs ?? record.createdMs, record.createdMs)
        lastMs = max(lastMs ?? record.createdMs, record.createdMs)
        let key = record.key ?? "(no key)"
        total.add(outcome)
        keys[key, default: Row()].add(outcome)
        if record.model == nil || record.status != 0 {
            total.failures += 1
            keys[key]?.failures += 1
        }
        if let model = record.model { models[model, default: Row()].add(outcome) }
        for attempt in record.attempts where attempt.status != 0 { models[attempt.model, default: Row()].failures += 1 }
    }
}
