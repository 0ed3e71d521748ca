/// Feedback counted for one answering model in one cluster from one source: what the dashboard
/// shows as quality per model and per cluster.
public struct QualityCell: Sendable, Equatable {
    public var model: String
    /// The nearest cluster of the answers rated (nil: not routed by a cluster router, or recorded
    /// before schema version 4).
    public var cluster: Int?
    public var source: FeedbackRecord.Source
    /// Scores and their sum.
    public var count: Int
    public var scoreSum: Double

    public init(model: String, cluster: Int?, source: FeedbackRecord.Source, count: Int, scoreSum: Double) {
        (self.model, self.cluster, self.source, self.count, self.scoreSum) = (model, cluster, source, count, scoreSum)
    }

    /// The aggregate both stores run: its parameters are the earliest feedback time (ms) and how
    /// many of the latest scores (by time, through the index on it) to count.
    static func query(postgres: Bool) -> String {
        let (since, latest) = postgres ? ("$1", "$2") : ("?1", "?2")
        return """
            SELECT o.model, o.cluster, f.source, count(*), sum(f.score)
            FROM (SELECT id, source, score FROM feedback WHERE created_ms >= \(since) ORDER BY created_ms DESC LIMIT \(latest)) f
            JOIN outcomes o ON o.id = f.id WHERE o.model IS NOT NULL GROUP BY o.model, o.cluster, f.source
            """
    }
}
