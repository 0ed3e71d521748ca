import Datasets
import Testing

@Suite struct PromptFileTests {
    @Test func promptsComeBackExactlyAsWritten() throws {
        // The bundled MMLU has a prompt with U+FEFF inside; JSONSerialization would drop it.
        let dir = try fixtureDirectory([
            "p.jsonl": #"{"id": "a", "prompt": "x\n\ufeff\ny", "scores": {}}"# + "\n\n" + #"{"prompt": "second"}"# + "\n",
        ])
        #expect(try PromptFile.prompts(dir + "/p.jsonl") == ["x\n\u{FEFF}\ny", "second"])
    }

    @Test func linesWithoutAPromptNameTheLine() throws {
        let dir = try fixtureDirectory(["p.jsonl": #"{"prompt": "ok"}"# + "\n" + #"{"text": "no prompt"}"# + "\n", "empty.jsonl": "\n"])
        let error = #expect(throws: DatasetError.self) { try PromptFile.prompts(dir + "/p.jsonl") }
        #expect("\(error!)".contains("p.jsonl:2") || "\(error!)".contains("line 2"))
        #expect(throws: DatasetError.self) { try PromptFile.prompts(dir + "/empty.jsonl") }
    }
}
