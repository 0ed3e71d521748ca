import Foundation
import Logging
import Store
import StoreTestSupport
import Testing
import Wire
@testable import Gateway

/// Keys' daily budgets kept in the outcome store: they survive a restart, and on PostgreSQL every
/// gateway sharing the store sees one spend per key, with holds decided across gateways.
@Suite(.timeLimit(.minutes(1))) struct BudgetSharingTests {
    let key = "sk-team-0123456789ab"
    let keys = try! FrontDoorKeys(keys: [
        .init(name: "team", key: "sk-team-0123456789ab", dailyBudgetUSD: 0.05), .init(name: "free", key: "sk-free-0123456789ab"),
    ])
    /// A user turn that makes a request body (model "auto") of exactly 1,000 bytes once the
    /// gateway added `"max_tokens":500,` to it: the most such a request can cost is what every
    /// answer costs.
    let user: [[String: String]] = {
        func bodyBytes(_ content: String) -> Int {
            try! JSONSerialization.data(withJSONObject: ["model": "auto", "messages": [["role": "user", "content": content]]]).count
        }
        let cap = #""max_tokens":500,"#.utf8.count
        return [["role": "user", "content": String(repeating: "x", count: 1000 - cap - bodyBytes(""))]]
    }()

    /// A gateway on `store`: every answer costs $0.002 (1,000 + 500 tokens at $1/M, $2/M), which
    /// is also the most it can cost (`user`, 500 output tokens); budgets in memory (restored from
    /// the store) or shared through PostgreSQL.
    func gateway(_ store: OutcomeStore, shared: SharedBudgets?) async throws -> FrontDoorUnderTest {
        let ledger = CostLedger()
        ledger.restore(spend: try await store.spend(day: ledger.currentDay), day: ledger.currentDay)
        return FrontDoorUnderTest(door: OpenAIFrontDoor(
            complete: CompleteHandler(
                upstreams: [ScriptedUpstream("cheap")], router: fakeRouter(["cheap"], predictedCosts: ["cheap": 0.002]), ledger: ledger,
                recorder: OutcomeRecorder(store: store), budgets: shared.map { PostgresBudgetBook($0, local: ledger) }),
            keys: keys, budgetOutputTokens: 500, logger: Logger(label: "test")))
    }

    @Test(arguments: Database.allCases)
    func aBudgetSpentBeforeARestartStaysSpent(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        let shared: SharedBudgets? = if case .postgres(let url) = location { SharedBudgets(url: url) } else { nil }
        let first = try await gateway(store, shared: shared)
        var answered = 0
        while try await first.post(["model": "auto", "messages": user], key: key).code == 200 { answered += 1 }
        #expect(answered == 25, "$0.05 pays for 25 answers of $0.002")
        // A new gateway (its memory empty) on the same store: the key has nothing left today.
        let restarted = try await gateway(store, shared: shared)
        let refused = try await restarted.post(["model": "auto", "messages": user], key: key)
        #expect(refused.code == 429 && refused.text.contains("insufficient_quota"))
        #expect(try await restarted.post(["model": "auto", "messages": user], key: "sk-free-0123456789ab").code == 200)
        store.close()
        shared?.close()
    }

    /// Two gateways on one PostgreSQL store, 60 requests of one key at once spread over both:
    /// exactly the 25 the budget pays for are answered, and the key's spend is $0.05, not twice it.
    @Test func twoGatewaysSharingAStoreSpendOneBudget() async throws {
        guard let location = try Database.postgres.freshLocation(), case .postgres(let url) = location else { return }
        let stores = [try OutcomeStore(location), try OutcomeStore(location)]
        let shared = [SharedBudgets(url: url), SharedBudgets(url: url)]
        let gateways = [try await gateway(stores[0], shared: shared[0]), try await gateway(stores[1], shared: shared[1])]
        let codes = try await withThrowingTaskGroup(of: UInt.self) { group in
            for i in 0..<60 {
                group.addTask { try await gateways[i % 2].post(["model": "auto", "messages": user], key: key).code }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes.filter { $0 == 200 }.count == 25, "\(codes.sorted())")
        #expect(codes.allSatisfy { $0 == 200 || $0 == 429 })
        let spent = try await stores[0].spend(day: CostLedger().currentDay)["team"] ?? 0
        #expect(abs(spent - 0.05) < 1e-9, "one spend for the key across both gateways: \(spent)")
        #expect(try await shared[1].usage(key: "team", day: CostLedger().currentDay).held == 0, "every hold released")
        for store in stores { store.close() }
        for budgets in shared { budgets.close() }
    }

    /// With the database away, the gateway decides from its own ledger: the key is served, and
    /// still only up to its budget as this gateway knows it.
    @Test func anUnreachableSharedLedgerFallsBackToThisGatewaysOwn() async throws {
        let store = try OutcomeStore(.sqlite(path: temporaryStorePath()))
        let unreachable = SharedBudgets(url: "postgres://nobody@127.0.0.1:1/none")
        let gateway = try await gateway(store, shared: unreachable)
        var answered = 0
        while try await gateway.post(["model": "auto", "messages": user], key: key).code == 200 { answered += 1 }
        #expect(answered == 25, "$0.05 pays for 25 answers of $0.002 by this gateway's own count")
        let refused = try await gateway.post(["model": "auto", "messages": user], key: key)
        #expect(refused.code == 429 && refused.text.contains("insufficient_quota"))
        #expect(try await gateway.post(["model": "auto", "messages": user], key: "sk-free-0123456789ab").code == 200)
        store.close()
        unreachable.close()
    }
}
