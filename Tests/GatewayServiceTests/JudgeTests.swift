import Foundation
import Logging
import RPC
import Store
import Testing
import Wire
@testable import Gateway

/// The LLM judge: a sample of answers graded after they went out, the grade recorded as feedback
/// from the judge, an unparseable grade counted and never guessed, the judge's own daily budget
/// kept across a restart.
@Suite(.timeLimit(.minutes(1))) struct JudgeTests {
    let user = [["role": "user", "content": "What is 6 times 7?"]]

    /// A front door and Complete handler on `store` whose judge is `judgeUpstream`.
    func gateway(
        _ store: OutcomeStore, judgeUpstream: ScriptedUpstream, sample: Double = 1, budget: Double = 1, today: Int = 20_000
    ) -> (door: FrontDoorUnderTest, rpc: InProcessCaller, judge: LLMJudge) {
        let judge = LLMJudge(.init(model: "judge", sample: sample, dailyBudgetUSD: budget), upstream: judgeUpstream, store: store, today: { today })
        let complete = CompleteHandler(
            upstreams: [ScriptedUpstream("strong"), ScriptedUpstream("weak"), judgeUpstream], router: OutcomeTests.embeddingRouter(),
            recorder: OutcomeRecorder(store: store, judge: judge))
        var handlers = RPCHandlers()
        complete.register(in: &handlers)
        return (FrontDoorUnderTest(door: OpenAIFrontDoor(complete: complete, keys: nil, logger: Logger(label: "test"))), InProcessCaller(handlers), judge)
    }

    @Test func gradesAreReadFromTheAskedFormAndNeverGuessed() {
        #expect(LLMJudge.score(fromGrade: "Rating: [[8]]") == 7.0 / 9)
        #expect(LLMJudge.score(fromGrade: "The answer is right. Rating: [[10]]") == 1)
        #expect(LLMJudge.score(fromGrade: "[[1]]") == 0)
        #expect(LLMJudge.score(fromGrade: "Rating: [7.5]") == 6.5 / 9, "MT-Bench's single-bracket fallback")
        #expect(LLMJudge.score(fromGrade: "I would give it a seven") == nil)
        #expect(LLMJudge.score(fromGrade: "7/10") == nil)
        #expect(LLMJudge.score(fromGrade: "Rating: [[11]]") == nil, "outside the scale")
        #expect(LLMJudge.score(fromGrade: "Rating: [[0]]") == nil)
    }

    @Test func everySampledAnswerIsGradedAndTheGradeIsRecordedAsTheJudgesFeedback() async throws {
        let store = try OutcomeTests.store()
        let judgeUpstream = ScriptedUpstream("judge", .reply("Rating: [[8]]"))
        let (door, rpc, judge) = gateway(store, judgeUpstream: judgeUpstream)
        let plain = try await door.post(["model": "auto", "messages": user])
        let streamed = try await door.post(["model": "auto", "messages": user, "stream": true])
        let answer = try await rpc.call(Methods.complete, CompleteRequest(prompt: "What is 6 times 7?", model: "auto"))
        await judge.drain()
        let ids = [plain.headers.first(name: "x-switchyard-request-id"), streamed.headers.first(name: "x-switchyard-request-id"), answer.requestID]
        for id in ids {
            let id = try #require(id)
            let stored = try #require(try await store.outcome(id: id))
            #expect(stored.feedback.map(\.source) == [.judge])
            #expect(stored.feedback.first?.score == 7.0 / 9)
        }
        // The judge saw the question and the answer it grades.
        #expect(judgeUpstream.prompts.count == 3)
        #expect(judgeUpstream.prompts.allSatisfy { $0.contains("What is 6 times 7?") && $0.contains("strong: What is 6 times 7?") })
        let status = judge.status
        #expect(status.graded == 3 && status.asked == 3 && status.unparseable == 0)
        // 1,000 + 500 tokens at $1/M and $2/M a grade, booked as the judge's spend in the store.
        #expect(abs(status.spentTodayUSD - 0.006) < 1e-12)
        #expect(abs((try await store.spend(day: 20_000)[LLMJudge.spendKey] ?? 0) - 0.006) < 1e-12)
        // An application's score sits beside the judge's, each its own source.
        #expect(try await door.feedback(["id": answer.requestID, "score": 1]).code == 200)
        #expect(Set(try await store.outcome(id: answer.requestID)?.feedback.map(\.source) ?? []) == [.judge, .user])
        store.close()
    }

    @Test func anUnparseableGradeIsCountedAndRecordsNothing() async throws {
        let store = try OutcomeTests.store()
        let (door, _, judge) = gateway(store, judgeUpstream: ScriptedUpstream("judge", .reply("A fine answer, I'd say a seven.")))
        let reply = try await door.post(["model": "auto", "messages": user])
        await judge.drain()
        #expect(judge.status.unparseable == 1 && judge.status.graded == 0)
        let id = try #require(reply.headers.first(name: "x-switchyard-request-id"))
        #expect(try await store.outcome(id: id)?.feedback == [])
        store.close()
    }

    @Test func aFailingJudgeIsCountedAndTheAnswerIsUntouched() async throws {
        let store = try OutcomeTests.store()
        let (door, _, judge) = gateway(store, judgeUpstream: ScriptedUpstream("judge", .fail(.unavailable)))
        let reply = try await door.post(["model": "auto", "messages": user])
        #expect(reply.code == 200)
        await judge.drain()
        #expect(judge.status.failed == 1 && judge.status.spentTodayUSD == 0)
        store.close()
    }

    @Test func theJudgesBudgetBoundsItsSpendingAndSurvivesARestart() async throws {
        let store = try OutcomeTests.store()
        // A grade is expected to cost at most ~$0.0005 (the prompt's estimate twice, 64 tokens
        // out) and costs $0.002 (the scripted 1,000 + 500 tokens): $0.003 starts a second grade
        // ($0.001 left) and no third.
        let (door, _, judge) = gateway(store, judgeUpstream: ScriptedUpstream("judge", .reply("Rating: [[5]]")), budget: 0.003)
        for _ in 0..<4 {
            _ = try await door.post(["model": "auto", "messages": user])
            await judge.drain()
        }
        let status = judge.status
        #expect(status.graded == 2 && status.overBudget == 2, "\(status)")
        #expect(status.spentTodayUSD <= 0.004 + 1e-12)
        // A restarted judge takes the day's spend from the store: nothing is left to grade with.
        let restarted = LLMJudge(
            .init(model: "judge", sample: 1, dailyBudgetUSD: 0.003), upstream: ScriptedUpstream("judge", .reply("Rating: [[5]]")), store: store,
            today: { 20_000 })
        restarted.restore(spent: try await store.spend(day: 20_000)[LLMJudge.spendKey] ?? 0, day: 20_000)
        restarted.grade(id: "chatcmpl-syAAAAAAAAAAAAAAAAAAAAAA", question: "q", answer: "a")
        #expect(restarted.status.overBudget == 1)
        store.close()
    }

    @Test func theSampleIsTheAskedShareDecidedByTheId() throws {
        let store = try OutcomeTests.store()
        let judge = LLMJudge(.init(model: "judge", sample: 0.05, dailyBudgetUSD: 1), upstream: ScriptedUpstream("judge"), store: store, today: { 0 })
        let ids = (0..<4000).map { _ in RequestID.make() }
        let sampled = ids.filter(judge.samples).count
        // Binomial(4000, 0.05): mean 200, standard deviation 13.8; 4.3 deviations either side.
        #expect((140...260).contains(sampled), "\(sampled) of 4000")
        #expect(ids.filter(judge.samples) == ids.filter(judge.samples), "the same ids, the same sample")
        let none = LLMJudge(.init(model: "judge", sample: 0, dailyBudgetUSD: 1), upstream: ScriptedUpstream("judge"), store: store, today: { 0 })
        #expect(!ids.contains(where: none.samples))
        store.close()
    }

    @Test func keyNamesOfTheGatewaysOwnAreRefused() {
        #expect(throws: (any Error).self) {
            try FrontDoorKeys(keys: [.init(name: LLMJudge.spendKey, key: "sk-judge-0123456789ab")])
        }
    }
}
