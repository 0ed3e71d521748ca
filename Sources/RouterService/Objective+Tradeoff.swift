import RouterCore
import Wire

extension Objective {
    /// What a request's trade-off asks the decider for; no trade-off: `defaultAlpha`.
    public init(_ tradeoff: Tradeoff?, defaultAlpha: Double) {
        self = switch tradeoff {
        case .alpha(let alpha): .tradeoff(alpha: alpha)
        case .maxCostUSD(let maxCost): .budget(maxCostUSD: maxCost)
        case .lambda(let lambda): .penalty(lambda: lambda)
        case .threshold(let threshold): .threshold(threshold)
        case .strongShare(let share): .strongShare(share)
        case nil: .tradeoff(alpha: defaultAlpha)
        }
    }
}
