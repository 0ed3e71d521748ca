import Foundation
import Logging
import Testing
import StoreTestSupport
import Wire
@testable import Store

func sampleRecord(_ id: String, key: String? = "team-a", cost: Double = 0.01, at ms: Int64 = OutcomeRecord.nowMs()) -> OutcomeRecord {
    OutcomeRecord(
        id: id, createdMs: ms, key: key, router: "cluster", routerVersion: "v1",
        candidates: [.init(model: "strong", predictedQuality: 0.9, predictedCostUSD: 0.02, score: 0.8),
                     .init(model: "weak \"quoted\"", predictedQuality: 0.6, predictedCostUSD: 0.001, score: 0.7)],
        model: "strong", attempts: [.init(model: "strong", status: 0, latencyMs: 12.5)], costUSD: cost,
        inputTokens: 100, outputTokens: 20, latencyMs: 13, embedding: [0.25, -1, 3.5])
}

/// What every store does, on SQLite and on PostgreSQL alike.
@Suite(.timeLimit(.minutes(1))) struct StoreContractTests {
    @Test(arguments: Database.allCases)
    func recordsAndTheirFeedbackComeBackAsWritten(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        let record = sampleRecord("r1")
        try await store.record(record)
        #expect(try await store.feedback(FeedbackRecord(id: "r1", score: 0.5, comment: "ok", key: "team-a", createdMs: 1)) == .recorded)
        #expect(try await store.feedback(FeedbackRecord(id: "r1", score: 1, key: "team-a", createdMs: 2)) == .replaced)
        #expect(try await store.feedback(FeedbackRecord(id: "r1", score: 0.2, source: .judge, createdMs: 3)) == .recorded)
        let stored = try #require(try await store.outcome(id: "r1"))
        #expect(stored.record == record)
        #expect(Set(stored.feedback.map(\.score)) == [1, 0.2], "the second user score replaced the first")
        store.close()
        // Durable: a new connection finds everything.
        let reopened = try OutcomeStore(location)
        #expect(try await reopened.outcome(id: "r1")?.feedback.count == 2)
        reopened.close()
    }

    @Test(arguments: Database.allCases)
    func aDecisionComesBackAsWrittenAndTheReaderSeesRecentRecordsAndQualityPerCluster(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        var decided = sampleRecord("d1", at: 1_000)
        decided.decision = OutcomeRecord.Decision(
            clusters: [.init(cluster: 4, distance: 0.5, weight: 0.75), .init(cluster: 1, distance: 0.75, weight: 0.25)],
            tradeoff: "alpha=0.9", alpha: 0.9, maxLatencyMs: 800, allowedModels: ["strong", "weak \"quoted\""], budgetLeftUSD: 0.5,
            droppedForBudget: ["dear"], exploreShare: 0.1, exploreReason: "allowed", replica: "router-1", traceID: "4bf92f3577b34da6a3ce929d0e0e4736")
        try await store.record(decided)
        var other = sampleRecord("d2", at: 2_000)
        other.model = "weak"
        try await store.record(other)
        try await store.record(sampleRecord("d3", at: 3_000))
        #expect(try await store.outcome(id: "d1")?.record == decided)
        #expect(try await store.outcome(id: "d2")?.record.decision == nil)
        _ = try await store.feedback(FeedbackRecord(id: "d1", score: 1, key: "team-a", createdMs: 10_000))
        _ = try await store.feedback(FeedbackRecord(id: "d1", score: 0.5, source: .judge, createdMs: 10_000))
        _ = try await store.feedback(FeedbackRecord(id: "d2", score: 0, key: "team-a", createdMs: 10_000))
        _ = try await store.feedback(FeedbackRecord(id: "d3", score: 0.25, key: "team-a", createdMs: 1))

        let reader = StoreReader(location)
        #expect(try await reader.recent(limit: 2).map(\.id) == ["d3", "d2"], "newest first")
        #expect(try await reader.outcome(id: "d1")?.record == decided)
        let cells = try await reader.quality(sinceMs: 5_000, latest: 10).sorted { ($0.model, $0.source.rawValue) < ($1.model, $1.source.rawValue) }
        #expect(cells == [
            QualityCell(model: "strong", cluster: 4, source: .judge, count: 1, scoreSum: 0.5),
            QualityCell(model: "strong", cluster: 4, source: .user, count: 1, scoreSum: 1),
            QualityCell(model: "weak", cluster: nil, source: .user, count: 1, scoreSum: 0),
        ], "by the nearest cluster; feedback before the window left out")
        #expect(try await reader.quality(sinceMs: 5_000, latest: 1).reduce(0) { $0 + $1.count } == 1, "only the latest scores are read")
        store.close()
    }

    @Test func aReaderRefusesAStoreOfAnotherSchemaVersionSayingWhatToDo() async throws {
        let path = temporaryStorePath()
        let old = try SQLiteBackend(path: path)
        try old.database.execute("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3)")
        let refused = #expect(throws: RPCError.self) { try OutcomeReader(.sqlite(path: path)) }
        #expect(refused?.message.contains("schema version 3; this build reads version \(StoreSchema.version)") == true)
        let reader = StoreReader(.sqlite(path: path))
        let unread = await #expect(throws: RPCError.self) { try await reader.recent(limit: 1) }
        #expect(unread?.message.contains("start this build's gateway on it once") == true)
    }

    @Test(arguments: Database.allCases)
    func feedbackIsRefusedForUnknownIdsOtherKeysBadScoresAndLongComments(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        try await store.record(sampleRecord("mine"))
        try await store.record(sampleRecord("keyless", key: nil))
        let unknown = await #expect(throws: RPCError.self) { try await store.feedback(FeedbackRecord(id: "nope", score: 1, createdMs: 1)) }
        #expect(unknown?.code == .notFound)
        let other = await #expect(throws: RPCError.self) {
            try await store.feedback(FeedbackRecord(id: "mine", score: 1, key: "team-b", createdMs: 1))
        }
        #expect(other?.code == .permissionDenied)
        for score in [-0.1, 1.5, Double.nan] {
            let bad = await #expect(throws: RPCError.self) { try await store.feedback(FeedbackRecord(id: "mine", score: score, key: "team-a", createdMs: 1)) }
            #expect(bad?.code == .invalidArgument)
        }
        let long = await #expect(throws: RPCError.self) {
            try await store.feedback(FeedbackRecord(id: "mine", score: 1, comment: String(repeating: "x", count: 2001), key: "team-a", createdMs: 1))
        }
        #expect(long?.code == .invalidArgument)
        #expect(try await store.feedback(FeedbackRecord(id: "keyless", score: 1, key: "anyone", createdMs: 1)) == .recorded)
        #expect(try await store.feedback(FeedbackRecord(id: "mine", score: 0, source: .judge, createdMs: 1)) == .recorded, "the judge rates any answer")
        store.close()
    }

    @Test(arguments: Database.allCases)
    func spendIsBookedPerKeyAndDay(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        let today = OutcomeRecord.nowMs()
        try await store.record(sampleRecord("a", cost: 0.25, at: today))
        try await store.record(sampleRecord("b", cost: 0.5, at: today))
        try await store.record(sampleRecord("c", key: "team-b", cost: 1, at: today))
        try await store.record(sampleRecord("d", cost: 2, at: today - 86_400_000))
        let spend = try await store.spend(day: OutcomeRecord.day(ofMs: today))
        #expect(spend == ["team-a": 0.75, "team-b": 1])
        store.close()
    }

    @Test(arguments: Database.allCases)
    func writesSubmittedTogetherCommitTogetherAndAllReturn(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<2000 { group.addTask { try await store.record(sampleRecord("r\(i)")) } }
            try await group.waitForAll()
        }
        let status = store.status
        #expect(status.written == 2000)
        #expect(status.batches < 2000, "group commit: \(status.batches) transactions for 2000 writes")
        #expect(try await store.outcomes(fromMs: .min, toMs: .max, limit: 5000).count == 2000)
        store.close()
    }

    @Test(arguments: Database.allCases)
    func retentionRemovesOldRecordsThenTheOldestOverTheSize(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        let now = OutcomeRecord.nowMs()
        try await store.record(sampleRecord("old", at: now - 40 * 86_400_000))
        for i in 0..<300 { try await store.record(sampleRecord("new\(i)", at: now - Int64(300 - i))) }
        try await store.feedback(FeedbackRecord(id: "old", score: 1, key: "team-a", createdMs: now))
        #expect(try await store.prune(maxAge: .seconds(30 * 86_400), maxBytes: nil) == 1)
        #expect(try await store.outcome(id: "old") == nil)
        let before = try await store.usedBytes()
        let removed = try await store.prune(maxAge: .seconds(30 * 86_400), maxBytes: before / 2)
        #expect(removed > 0)
        #expect(try await store.usedBytes() <= before / 2)
        let left = try await store.outcomes(fromMs: .min, toMs: .max, limit: 1000)
        #expect(left.last?.record.id == "new299", "the newest stay")
        store.close()
    }

}

/// SQLite's own: the writer's bounds, locations, a schema from a newer build.
@Suite(.timeLimit(.minutes(1))) struct SQLiteStoreTests {
    @Test func aFloodOfFeedbackIsRefusedAtOnceBeyondItsBound() async throws {
        let store = try OutcomeStore(.sqlite(path: temporaryStorePath()))
        try await store.record(sampleRecord("r"))
        let writer = StoreWriter(
            name: "bounded", connect: { () throws(StoreError) in
                let backend = try SQLiteBackend(path: temporaryStorePath())
                try backend.migrate()
                return backend
            }, maxPending: 100,
            maxPendingFeedback: 10, logger: Logger(label: "test"))
        // Submitted all at once, faster than one transaction: past ten waiting, refused at once.
        let refusals = Refusals()
        for i in 0..<200 {
            writer.submit(.feedback(FeedbackRecord(id: "x\(i)", score: 1, createdMs: 1))) { result in
                if case .failure(let error) = result, error.code == .unavailable, error.message.contains("waiting") { refusals.add() }
            }
        }
        writer.close()
        #expect(refusals.count > 0)
        store.close()
    }

    @Test func locationsParse() throws {
        #expect(try StoreLocation(parsing: "sqlite:/tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(try StoreLocation(parsing: "run/outcomes.sqlite") == .sqlite(path: "run/outcomes.sqlite"))
        #expect(try StoreLocation(parsing: "postgres://u:secret@h/db") == .postgres(url: "postgres://u:secret@h/db"))
        #expect(StoreLocation.postgres(url: "postgres://u:secret@h/db").description == "postgres://u:***@h/db")
        #expect(throws: RPCError.self) { try StoreLocation(parsing: "sqlite:") }
    }

    @Test func aStoreFromANewerBuildIsRefused() throws {
        let path = temporaryStorePath()
        _ = try OutcomeStore(.sqlite(path: path))
        let database = try SQLiteDatabase(path: path)
        try database.execute("UPDATE schema_version SET version = 99")
        let error = #expect(throws: RPCError.self) { try OutcomeStore(.sqlite(path: path)) }
        #expect(error?.message.contains("newer than this build") == true)
    }
}

/// Counts refusals from any thread.
final class Refusals: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

/// The database going away: records wait in the spill file (durable, acknowledged), feedback is
/// refused UNAVAILABLE (it cannot be checked), and once the database is back the spilled records
/// move into it.
@Suite(.timeLimit(.minutes(1))) struct StoreOutageTests {
    final class Switch: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Bool
        init(_ value: Bool) { self.value = value }
        var isOn: Bool { lock.lock(); defer { lock.unlock() }; return value }
        func set(_ on: Bool) { lock.lock(); value = on; lock.unlock() }
    }

    @Test(arguments: Database.allCases)
    func recordsSpillWhileTheDatabaseIsAwayAndMoveInWhenItReturns(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let up = Switch(false)
        let writer = StoreWriter(
            name: "flaky", connect: { () throws(StoreError) in
                guard up.isOn else { throw .unavailable("the database is stopped") }
                let backend: any StoreBackend = switch location {
                case .sqlite(let path): try SQLiteBackend(path: path)
                case .postgres(let url): try PostgresBackend(url: url)
                }
                try backend.migrate()
                return backend
            }, spillPath: temporaryStorePath("spill"), logger: Logger(label: "test"))
        for i in 0..<50 { _ = try await writer.write(.outcome(sampleRecord("r\(i)"))) }
        #expect(writer.status.spilled == 50, "acknowledged: kept in the spill file")
        let refused = await #expect(throws: RPCError.self) {
            try await writer.write(.feedback(FeedbackRecord(id: "r1", score: 1, key: "team-a", createdMs: 1)))
        }
        #expect(refused?.code == .unavailable)
        up.set(true)
        // Within a second (the writer tries again every second) the spill moves into the database.
        _ = try await writer.write(.outcome(sampleRecord("after")))
        while writer.status.spilled > 0 { try await Task.sleep(for: .milliseconds(20)) }
        let stored = try await writer.perform { backend throws(StoreError) in try backend.outcomes(fromMs: .min, toMs: .max, limit: 100) }
        #expect(stored.count == 51)
        #expect(writer.status.spilled == 0)
        let feedback = try await writer.write(.feedback(FeedbackRecord(id: "r1", score: 1, key: "team-a", createdMs: 1)))
        guard case .feedback(.recorded) = feedback else { Issue.record("\(feedback)"); return }
        writer.close()
    }
}
