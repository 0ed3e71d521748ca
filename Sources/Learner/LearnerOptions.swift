import ArgumentParser
import RouterCore

/// The learner's statistical flags, for the learner service and `switchyard simulate` alike.
public struct LearnerOptions: ParsableArguments, Sendable {
    @Option(help: "Scores after which a score counts half (forgetting, so drift is followed).")
    public var halfLife = 2000.0

    @Option(help: "Pseudo-observations of a model's global estimate in each cluster's estimate (back-off).")
    public var backoff = 10.0

    @Option(help: "The most pseudo-observations a cell's offline statistics count for at the start.")
    public var warmCap = 20.0

    public init() {}

    public func validate() throws {
        if !(halfLife > 0) || !(backoff >= 0) || !(warmCap >= 0) { throw ValidationError("--half-life must be > 0, --backoff and --warm-cap >= 0") }
    }

    /// The settings these flags say.
    public var settings: ClusterLearner.Settings {
        var settings = ClusterLearner.Settings()
        settings.halfLife = halfLife
        settings.backoff = backoff
        settings.warmStartCap = warmCap
        return settings
    }
}
