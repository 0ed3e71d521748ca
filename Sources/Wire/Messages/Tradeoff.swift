/// The quality/cost trade-off a caller asks for: the `tradeoff` oneof of RouteRequest and
/// CompleteRequest.
public enum Tradeoff: Sendable, Equatable {
    /// 0 = cheapest, 1 = best quality (Avengers-Pro's knob).
    case alpha(Double)
    /// The best predicted quality whose predicted cost per request stays within this many dollars.
    case maxCostUSD(Double)

    /// Reads the oneof whose members are numbered `alpha` and `maxCost`; nil when unset.
    static func read(from r: ProtoReader, alpha: UInt32, maxCost: UInt32) -> Tradeoff? {
        if let value: Double = r.oneof(alpha) { return .alpha(value) }
        if let value: Double = r.oneof(maxCost) { return .maxCostUSD(value) }
        return nil
    }

    /// Writes the oneof member this value is.
    func write(to w: ProtoWriter, alpha: UInt32, maxCost: UInt32) {
        switch self {
        case .alpha(let value): w.write(alpha, value)
        case .maxCostUSD(let value): w.write(maxCost, value)
        }
    }
}
