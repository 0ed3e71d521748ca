import Foundation
import Testing
import StoreTestSupport
import Wire
@testable import Store

/// The learner's side of the store, on SQLite and on PostgreSQL alike.
@Suite(.timeLimit(.minutes(1))) struct LearningStoreTests {
    @Test(arguments: Database.allCases)
    func scoresComeBackInCommitOrderWithTheirRecordsAndAReplacedScoreComesBackAgain(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let store = try OutcomeStore(location)
        var explored = sampleRecord("b", cost: 0.5)
        explored.explored = true
        try await store.record(sampleRecord("a"))
        try await store.record(explored)
        var unembedded = sampleRecord("c")
        unembedded.embedding = nil
        try await store.record(unembedded)
        _ = try await store.feedback(FeedbackRecord(id: "b", score: 0.25, key: "team-a", createdMs: 1))
        _ = try await store.feedback(FeedbackRecord(id: "a", score: 1, key: "team-a", createdMs: 2))
        _ = try await store.feedback(FeedbackRecord(id: "c", score: 0, key: "team-a", createdMs: 3))
        let learning = try LearningStore(location)
        let all = try learning.observations(after: 0)
        #expect(all.map(\.id) == ["b", "a", "c"])
        #expect(all.map(\.seq) == all.map(\.seq).sorted() && Set(all.map(\.seq)).count == 3)
        #expect(all[0].score == 0.25 && all[0].model == "strong" && all[0].costUSD == 0.5 && all[0].explored)
        #expect(all[0].embedding == [0.25, -1, 3.5] && all[2].embedding == nil)
        // A score replaced later comes back after the cursor, once.
        _ = try await store.feedback(FeedbackRecord(id: "b", score: 0.75, key: "team-a", createdMs: 4))
        let newer = try learning.observations(after: all.last!.seq)
        #expect(newer.map(\.id) == ["b"] && newer[0].score == 0.75)
        // A gap asked for again is found when it is there.
        #expect(try learning.observations(after: newer[0].seq, gaps: [all[1].seq]).map(\.id) == ["a"])
        #expect(try learning.exploration(sinceMs: 0) == (answers: 1, usd: 0.5))
        #expect(try await store.exploration(sinceMs: 0) == (answers: 1, usd: 0.5))
        store.close()
    }

    @Test(arguments: Database.allCases)
    func versionsAreKeptListedAndPinned(database: Database) throws {
        guard let location = try database.freshLocation() else { return }
        let store = try LearningStore(location)
        #expect(try store.version() == nil)
        let first = RouterVersion(version: "v+learned.1", createdMs: 10, feedbackSeq: 3, observations: 3, summary: "one", routerFile: [1, 2, 3])
        let second = RouterVersion(version: "v+learned.2", createdMs: 20, feedbackSeq: 9, observations: 9, summary: "two", routerFile: [4, 5])
        let one = try store.save(first)
        let two = try store.save(second)
        #expect(two > one)
        #expect(throws: RPCError.self, "a version name is used once") { try store.save(first) }
        #expect(try store.version()?.version == "v+learned.2" && store.version()?.routerFile == [4, 5])
        #expect(try store.version(named: "v+learned.1")?.routerFile == [1, 2, 3])
        #expect(try store.version(named: "v+learned.9") == nil)
        let listed = try store.versions()
        #expect(listed.map(\.version) == ["v+learned.2", "v+learned.1"] && listed.allSatisfy { $0.routerFile.isEmpty })
        #expect(listed[1].feedbackSeq == 3 && listed[1].observations == 3 && listed[1].summary == "one")
        #expect(try store.pinned() == nil)
        try store.pin("v+learned.1")
        #expect(try store.pinned() == "v+learned.1")
        try store.pin(nil)
        #expect(try store.pinned() == nil)
    }

    @Test(arguments: Database.allCases)
    func oneLearnerHoldsTheLeaseUntilItLetsGoOrStopsRenewing(database: Database) async throws {
        guard let location = try database.freshLocation() else { return }
        let (a, b) = (try LearningStore(location), try LearningStore(location))
        #expect(try a.lease(holder: "a", for: .seconds(30)) == "a")
        #expect(try b.lease(holder: "b", for: .seconds(30)) == "a", "b waits while a's lease is live")
        #expect(try a.lease(holder: "a", for: .seconds(30)) == "a", "a renews")
        try a.releaseLease(holder: "a")
        #expect(try b.lease(holder: "b", for: .milliseconds(200)) == "b", "b takes what a let go")
        #expect(try a.lease(holder: "a", for: .seconds(30)) == "b")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try a.lease(holder: "a", for: .seconds(30)) == "a", "a takes over a lease b stopped renewing")
    }
}
