import Foundation
import Store
import Wire

/// Why did this request go there: `GET /v1/decisions/{id}` (and `switchyard explain ID`) answers
/// with the record of a request's decision: the candidates with their predicted quality, cost and
/// utility, the clusters that decided, the trade-off, the budget and latency filters, whether it
/// explored and why, the upstream calls with their errors, the real cost and latency, and its
/// feedback.
public struct DecisionDesk: Sendable {
    let reader: StoreReader?

    public init(reader: StoreReader?) { self.reader = reader }

    /// The explanation of request `id` as a JSON object. NOT_FOUND for an id this gateway has no
    /// record of, PERMISSION_DENIED for another key's request (`key` nil: the admin, or a front
    /// door without keys, sees every request; a key sees its own and the keyless ones),
    /// FAILED_PRECONDITION without a store.
    public func explain(id: String, key: String?, admin: Bool) async throws(RPCError) -> [String: Any] {
        guard let reader else { throw RPCError(.failedPrecondition, "this gateway keeps no records to explain: start it with --store") }
        guard RequestID.isWellFormed(id), let stored = try await reader.outcome(id: id) else {
            throw RPCError(.notFound, "no decision recorded for request \(id) (records are kept for --retention-days)")
        }
        let record = stored.record
        // A request made without a key (the protobuf API) is any key's to see, as it is any key's to rate.
        if !admin, let key, let owner = record.key, owner != key {
            throw RPCError(.permissionDenied, "request \(id) was made with another key")
        }
        return Self.explanation(of: record, feedback: stored.feedback)
    }

    static func explanation(of record: OutcomeRecord, feedback: [FeedbackRecord]) -> [String: Any] {
        let decision = record.decision
        let tried = Set(record.attempts.map(\.model))
        var object: [String: Any] = [
            "object": "decision", "id": record.id, "created_ms": record.createdMs, "status": StatusCode(rawValue: record.status).map { "\($0)" } ?? "\(record.status)",
            "routed": record.router != nil,
        ]
        object["key"] = record.key
        object["trace_id"] = decision?.traceID
        if let router = record.router {
            var entry: [String: Any] = ["name": router, "version": record.routerVersion ?? ""]
            entry["replica"] = decision?.replica
            entry["embedding_fallback"] = decision?.embeddingFallback
            object["router"] = entry
        }
        object["candidates"] = record.candidates.enumerated().map { rank, c -> [String: Any] in
            [
                "rank": rank + 1, "model": c.model, "predicted_quality": c.predictedQuality, "predicted_cost_usd": c.predictedCostUSD,
                "utility": c.score, "tried": tried.contains(c.model), "answered": c.model == record.model,
            ]
        }
        if let decision {
            var tradeoff: [String: Any] = ["asked": decision.tradeoff ?? "the router's default"]
            tradeoff["alpha"] = decision.alpha
            tradeoff["threshold"] = decision.threshold
            tradeoff["strong_win_score"] = decision.strongWinScore
            object["tradeoff"] = tradeoff
            object["clusters"] = decision.clusters.map { ["cluster": $0.cluster, "distance": $0.distance, "weight": $0.weight] as [String: Any] }
            var filters: [String: Any] = ["allowed_models": decision.allowedModels, "dropped_for_budget": decision.droppedForBudget]
            filters["max_latency_ms"] = decision.maxLatencyMs
            filters["budget_left_usd"] = decision.budgetLeftUSD
            object["filters"] = filters
            object["exploration"] = [
                "explored": record.explored, "share": decision.exploreShare, "reason": decision.exploreReason,
                "why": Self.whyExplored(record.explored, decision),
            ] as [String: Any]
        } else {
            object["exploration"] = ["explored": record.explored] as [String: Any]
        }
        object["attempts"] = record.attempts.map { a -> [String: Any] in
            var entry: [String: Any] = [
                "model": a.model, "status": StatusCode(rawValue: a.status).map { "\($0)" } ?? "\(a.status)", "latency_ms": a.latencyMs,
            ]
            entry["error"] = a.error
            return entry
        }
        object["fallbacks"] = record.attempts.filter { $0.status != 0 }.map { attempt in
            // An upstream's error names it already: said once.
            "\(attempt.model): " + (attempt.error.map { String($0.dropPrefix("\(attempt.model): ")) } ?? "status \(attempt.status)")
        }
        var answered: [String: Any] = [
            "cost_usd": record.costUSD, "input_tokens": record.inputTokens, "output_tokens": record.outputTokens,
            "tokens_estimated": record.tokensEstimated, "latency_ms": record.latencyMs, "streamed": record.streamed,
        ]
        answered["model"] = record.model
        answered["first_token_ms"] = record.firstTokenMs
        object["answer"] = answered
        object["feedback"] = feedback.map { f -> [String: Any] in
            var entry: [String: Any] = ["source": f.source.rawValue, "score": f.score, "created_ms": f.createdMs]
            entry["comment"] = f.comment
            return entry
        }
        return object
    }

    /// Exploration's part of the explanation, in words.
    static func whyExplored(_ explored: Bool, _ decision: OutcomeRecord.Decision) -> String {
        if explored {
            return "explored: the gateway let up to \(decision.exploreShare) of decisions explore, and this one's Thompson draw "
                + "from the learned router's posteriors chose another model than its means would"
        }
        return switch ExplorationBudget.Reason(rawValue: decision.exploreReason) {
        case .off: "not explored: this gateway does not explore (--explore-share 0)"
        case .optedOut: "not explored: the request opted out (explore=0)"
        case .budgetSpent: "not explored: today's exploration budget was spent"
        case .allowed: "not explored: it could (share \(decision.exploreShare)), but it was not drawn, the draw agreed with the means, "
            + "or the router is not a learned one"
        case nil: "not explored"
        }
    }
}
