import Foundation
import Wire

/// API keys' daily budgets kept in PostgreSQL, shared by every gateway on the store: a key's
/// spend is one number however many gateways serve it (booked by each answer's record), and the
/// holds of its requests in flight are decided one at a time across gateways (the key's spend row
/// is locked while a hold is checked and taken). A hold lasts until released, or until its lease
/// (`holdLease`, longer than any request may run) runs out: a gateway killed mid-request blocks
/// nothing for long.
public final class SharedBudgets: Sendable {
    private let workers: PostgresWorkers
    public let holdLease: Duration

    public init(url: String, connections: Int = 2, holdLease: Duration = .seconds(900)) {
        workers = PostgresWorkers(url: url, count: connections)
        self.holdLease = holdLease
    }

    /// What `key` spent on UTC day `day`, and what its requests in flight hold.
    public func usage(key: String, day: Int) async throws(RPCError) -> (spent: Double, held: Double) {
        let now = OutcomeRecord.nowMs()
        return try await workers.perform { connection throws(StoreError) in
            let row = try connection.execute("""
                SELECT coalesce((SELECT spent_usd FROM spend WHERE api_key = $1 AND day = $2), 0),
                       coalesce((SELECT sum(amount_usd) FROM holds WHERE api_key = $1 AND day = $2 AND expires_ms > $3), 0)
                """, [.text(key), .int(Int64(day)), .int(now)]).first
            return (Double((row?.first ?? nil) ?? "0") ?? 0, Double((row?.last ?? nil) ?? "0") ?? 0)
        }
    }

    /// Holds `amount` of `key`'s budget for a request in flight when spend + holds + amount fit
    /// the budget: the hold's id and what is left after it; nil when it does not fit.
    public func hold(_ amount: Double, key: String, budget: Double, day: Int) async throws(RPCError) -> (id: String, left: Double)? {
        let id = UUID().uuidString
        let now = OutcomeRecord.nowMs()
        let expires = now + Int64(holdLease.components.seconds * 1000)
        return try await workers.perform { connection throws(StoreError) in
            let row = try connection.execute(
                "SELECT switchyard_hold($1, $2, $3, $4, $5, $6, $7)",
                [.text(key), .int(Int64(day)), .double(amount), .double(budget), .text(id), .int(now), .int(expires)]).first
            guard let left = (row?.first ?? nil).flatMap(Double.init) else { return nil }
            return (id, left)
        }
    }

    /// Lets go of a hold (the request's real cost is booked by its record).
    public func release(id: String) async {
        _ = try? await workers.perform { connection throws(StoreError) in
            try connection.execute("DELETE FROM holds WHERE id = $1", [.text(id)])
        }
    }

    /// Deletes holds whose lease ran out (their gateways died); what the store's retention runs.
    public func pruneExpired() async throws(RPCError) {
        let now = OutcomeRecord.nowMs()
        _ = try await workers.perform { connection throws(StoreError) in
            try connection.execute("DELETE FROM holds WHERE expires_ms <= $1", [.int(now)])
        }
    }

    public func close() { workers.close() }
}
