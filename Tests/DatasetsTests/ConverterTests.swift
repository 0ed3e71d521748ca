import Foundation
import RouterCore
import Testing
@testable import Datasets

@Suite struct ConverterTests {
    @Test func gsm8kIsDecontaminatedAndTokensEstimated() throws {
        let csv = """
            prompt,\(weak),\(strong),\(weak)_response,\(strong)_response
            "Janet has 3 eggs,
            how many?",True,True,abcd,abcdefgh
            Leaked question,False,True,x,y
            "A ""quoted"" one",False,True,,abcdefghi

            """
        let directory = try fixtureDirectory([
            "gsm8k_responses.csv": csv,
            "gsm8k_contaminated_prompts.jsonl": #"{"train_prompt": "t", "eval_prompt": "Leaked question\n"}"# + "\n",
        ])
        let lines = try RouteLLMConverter(directory: directory).gsm8k()
        #expect(lines.map(\.prompt) == ["Janet has 3 eggs,\nhow many?", "A \"quoted\" one"])
        #expect(lines[0].scores == [weak: 1, strong: 1])
        #expect(lines[1].scores == [weak: 0, strong: 1])
        #expect(lines[0].tokens?[strong] == .init(input: 7, output: 2, estimated: true))  // 26 chars / 4, 8 / 4
    }

    @Test func mmluKeepsTheDomain() throws {
        let directory = try fixtureDirectory([
            "mmlu_responses.csv": "domain,prompt,\(weak),\(strong)\nanatomy,Q1,True,False\nlaw,Q2,False,True\n",
            "mmlu_contaminated_prompts.jsonl": "",
        ])
        let lines = try RouteLLMConverter(directory: directory).mmlu()
        #expect(lines.map(\.domain) == ["anatomy", "law"])
        #expect(lines.map(\.dataset) == ["mmlu", "mmlu"])
    }

    @Test func mtBenchAveragesTurnsOnTheOneToTenScale() throws {
        func judgement(_ id: Int, _ model: String, _ turn: Int, _ score: Double) -> String {
            let prompt = "### User:\\nq\\n\\n### Assistant A:\\nabcd\\n\\n### User:\\nq2\\n\\n### Assistant A:\\nefgh\\n\\n<|The End of Assistant A's Conversation with User|>"
            return #"{"question_id": \#(id), "model": "\#(model)", "score": \#(score), "turn": \#(turn), "user_prompt": "\#(prompt)"}"#
        }
        let judgements = [judgement(81, weak, 1, 7), judgement(81, weak, 2, 9), judgement(81, strong, 1, 10),
                          judgement(81, strong, 2, 10), judgement(82, weak, 1, 5), judgement(82, strong, 1, 6)]
        let directory = try fixtureDirectory([
            "mt_bench_question.jsonl": #"{"question_id": 81, "category": "writing", "turns": ["Write a blog", "Rewrite it"]}"# + "\n"
                + #"{"question_id": 82, "category": "math", "turns": ["Leaked", "x"]}"# + "\n",
            "mt_bench_judgements.jsonl": judgements.joined(separator: "\n"),
            "mt_bench_contaminated_prompts.jsonl": #"{"eval_prompt": "Leaked"}"#,
        ])
        let lines = try RouteLLMConverter(directory: directory).mtBench()
        #expect(lines.count == 1)
        #expect(lines[0].scores == [weak: 8, strong: 10])
        #expect(lines[0].scoreRange == [1, 10])
        #expect(lines[0].tokens?[weak]?.output == 2)  // "abcd" + "efgh" = 8 chars
    }

    @Test func alpacaEvalLeavesOutExampleAndKeepsGaps() throws {
        let csv = """
            results_dir,generator,instruction_idx,preference_1to2,len_output_chars,len_baseline_output_chars,judge_price_usd
            a,model-a,0,1.75,400,100,
            a,model-a,1,1.0,40,100,
            b,model-b,0,1.25,4000,100,
            e,example,0,2.0,4,100,

            """
        let directory = try fixtureDirectory([
            "preferences.csv": csv,
            "instructions.jsonl": #"{"instruction_idx": 0, "dataset": "helpful_base", "instruction": "Name three actors"}"# + "\n"
                + #"{"instruction_idx": 1, "dataset": "koala", "instruction": "Why?"}"# + "\n",
        ])
        let lines = try AlpacaEvalConverter(directory: directory).convert()
        #expect(lines.count == 2)
        #expect(lines[0].scores == ["model-a": 0.75, "model-b": 0.25])
        #expect(lines[1].scores == ["model-a": 0])  // model-b has no row for instruction 1
        #expect(lines[0].tokens?["model-b"]?.output == 1000)
        let prices = PriceTable(["model-a": .init(inputPerMillion: 1, outputPerMillion: 2, source: "test"),
                                 "model-b": .init(inputPerMillion: 1, outputPerMillion: 2, source: "test")])
        let (set, report) = DatasetFile.promptSet(lines, prices: prices).complete(minimumCoverage: 0.5)
        #expect(set.models == ["model-a", "model-b"])
        #expect(report.droppedPrompts == 1)
    }

    @Test func csvRowWithWrongFieldCountNamesTheLine() {
        #expect(throws: DatasetError(file: "f.csv", line: 3, "1 fields, the header has 2")) {
            try CSV("a,b\n1,2\n3\n", file: "f.csv")
        }
    }
}

@Suite struct HeadToHeadTests {
    @Test func theChallengerScoresItsWinChanceAndTheBaselineTheRest() throws {
        let lines = [
            DatasetLine(id: "a", prompt: "p", scores: ["base": 0.5, "mixtral_concise": 0.25, "other": 0.9],
                        tokens: ["base": .init(input: 1, output: 10), "mixtral_concise": .init(input: 1, output: 4), "other": .init(input: 1, output: 7)]),
            DatasetLine(id: "b", prompt: "q", scores: ["base": 0.5, "other": 0.1]),
        ]
        let pair = try HeadToHead(baseline: "base", challenger: "mixtral_concise", renames: ["base": "gpt-4", "mixtral_concise": "mixtral"])
            .pair(lines, file: "f")
        #expect(pair.map(\.id) == ["a"], "a prompt without the challenger is left out")
        #expect(pair[0].scores == ["gpt-4": 0.75, "mixtral": 0.25])
        #expect(pair[0].tokens == ["gpt-4": .init(input: 1, output: 10), "mixtral": .init(input: 1, output: 4)])
    }

    @Test func aChallengerNoLineJudgesIsAnError() {
        #expect(throws: DatasetError.self) {
            try HeadToHead(baseline: "base", challenger: "nobody").pair([DatasetLine(id: "a", prompt: "p", scores: ["base": 0.5])], file: "f")
        }
    }
}
