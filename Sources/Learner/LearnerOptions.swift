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

    @Option(help: "Change detection: a model whose recent scores miss their prediction by more than this changed, and every estimate keeps only --change-keep of its evidence (0: off).")
    public var changeThreshold = 0.15

    @Option(help: "Change detection: the observations of a model its running surprise is taken over.")
    public var changeWindow = 100.0

    @Option(help: "Change detection: the share of evidence every estimate keeps after a change.")
    public var changeKeep = 0.1

    public init() {}

    public func validate() throws {
        if !(halfLife > 0) || !(backoff >= 0) || !(warmCap >= 0) { throw ValidationError("--half-life must be > 0, --backoff and --warm-cap >= 0") }
        if !(changeThreshold >= 0) || !(changeWindow >= 2) || !(0...1).contains(changeKeep) {
            throw ValidationError("--change-threshold must be >= 0, --change-window >= 2, --change-keep within [0, 1]")
        }
    }

    /// The settings these flags say.
    public var settings: ClusterLearner.Settings {
        var settings = ClusterLearner.Settings()
        settings.halfLife = halfLife
        settings.backoff = backoff
        settings.warmStartCap = warmCap
        settings.changeThreshold = changeThreshold
        settings.changeWindow = changeWindow
        settings.changeKeep = changeKeep
        return settings
    }
}
