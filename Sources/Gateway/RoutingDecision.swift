import Store
import Wire

extension OutcomeRecord.Decision {
    /// What decided `route`, the router's answer to `request`, with the exploration share the
    /// gateway asked for and why; the front door adds the key's budget filter after.
    init(route: RouteResponse, request: RouteRequest, exploration: (share: Double, reason: ExplorationBudget.Reason)) {
        self.init(
            clusters: route.clusters.map { Cluster(cluster: Int($0.cluster), distance: Double($0.distance), weight: Double($0.weight)) },
            tradeoff: request.tradeoff.map(Self.describe), alpha: route.alpha > 0 ? route.alpha : nil,
            threshold: route.threshold > 0 ? route.threshold : nil, strongWinScore: route.strongWinScore > 0 ? route.strongWinScore : nil,
            maxLatencyMs: request.maxLatencyMs > 0 ? request.maxLatencyMs : nil, allowedModels: request.allowedModels,
            exploreShare: exploration.share, exploreReason: exploration.reason.rawValue,
            replica: route.replica.isEmpty ? nil : route.replica,
            embeddingFallback: route.embeddingFallback.isEmpty ? nil : route.embeddingFallback)
    }

    /// A trade-off as the `switchyard:` model names it, e.g. "alpha=0.9".
    static func describe(_ tradeoff: Tradeoff) -> String {
        switch tradeoff {
        case .alpha(let value): "alpha=\(value)"
        case .maxCostUSD(let value): "max_cost=\(value)"
        case .lambda(let value): "lambda=\(value)"
        case .threshold(let value): "threshold=\(value)"
        case .strongShare(let value): "strong_share=\(value)"
        }
    }
}
