import ArgumentParser
import Wire

/// The flags that say what a routed request optimises, for every command that routes: one of
/// alpha, a cost budget, lambda, a RouteLLM threshold or a strong share (none: the router's
/// default alpha).
public struct ObjectiveOptions: ParsableArguments, Sendable {
    @Option(help: "Trade-off: 0 = cheapest, 1 = best quality (absent, with no other knob: the router's default).")
    public var alpha: Double?

    @Option(help: "The best predicted quality within this many dollars per request.")
    public var maxCost: Double?

    @Option(help: "The best predicted quality - lambda x dollars.")
    public var lambda: Double?

    @Option(help: "RouteLLM: strong when the strong-win score is at least this.")
    public var threshold: Double?

    @Option(help: "RouteLLM: the calibrated threshold sending this share to the strong model, in (0, 1).")
    public var strongShare: Double?

    public init() {}

    public func validate() throws {
        if [alpha, maxCost, lambda, threshold, strongShare].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --alpha, --max-cost, --lambda, --threshold, --strong-share")
        }
        if let alpha, !(0...1).contains(alpha) { throw ValidationError("--alpha must be in [0, 1], got \(alpha)") }
        if let maxCost, maxCost < 0 { throw ValidationError("--max-cost must be >= 0, got \(maxCost)") }
        if let strongShare, !(strongShare > 0 && strongShare < 1) {
            throw ValidationError("--strong-share must be in (0, 1), got \(strongShare)")
        }
    }

    /// The trade-off a Route or Complete request carries; nil: the router's default.
    public var tradeoff: Tradeoff? {
        if let maxCost { return .maxCostUSD(maxCost) }
        if let lambda { return .lambda(lambda) }
        if let threshold { return .threshold(threshold) }
        if let strongShare { return .strongShare(strongShare) }
        return alpha.map(Tradeoff.alpha)
    }
}
