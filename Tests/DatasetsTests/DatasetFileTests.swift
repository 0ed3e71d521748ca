import Foundation
import RouterCore
import Testing
@testable import Datasets

@Suite struct DatasetFileTests {
    let prices = PriceTable(["a": .init(inputPerMillion: 1_000_000, outputPerMillion: 2_000_000, source: "test")])

    private func load(_ text: String, name: String = "d.jsonl") throws -> PromptSet {
        let directory = try fixtureDirectory([name: text])
        return try DatasetFile.load((directory as NSString).appendingPathComponent(name), prices: prices)
    }

    @Test func loadsScoresCostsAndTokens() throws {
        let set = try load("""
            {"id": "1", "prompt": "p", "score_range": [1, 10], "scores": {"a": 10, "b": 1}, "tokens": {"a": {"input": 1, "output": 2}}, "cost_usd": {"b": 0.5}}
            {"id": "2", "prompt": "q", "score_range": [1, 10], "scores": {"a": 5.5}}
            """)
        #expect(set.models == ["a", "b"])
        #expect(set.records[0].scores == [1, 0])
        #expect(set.records[0].costs == [5, 0.5])  // 1 x $1 + 2 x $2
        #expect(set.records[1].scores == [0.5, nil])
        #expect(set.scoreScale == 1...10)
        let (complete, report) = set.complete(minimumCoverage: 0.4)
        #expect(complete.count == 1)
        #expect(report.droppedPrompts == 1)
    }

    @Test(arguments: [
        ("{\"id\": \"1\", \"prompt\": \"p\", \"scores\": {\"a\": 1}}\nnot json\n", 2, "not a dataset line"),
        ("{\"id\": \"1\", \"prompt\": \"p\"}\n", 1, "missing \"scores\""),
        ("{\"id\": \"1\", \"prompt\": \"p\", \"scores\": {\"a\": 3}}\n", 1, "outside score_range"),
        ("{\"id\": \"1\", \"prompt\": \"\", \"scores\": {\"a\": 1}}\n", 1, "empty prompt"),
        ("{\"id\": \"1\", \"prompt\": \"p\", \"scores\": {\"a\": 1}}\n{\"id\": \"1\", \"prompt\": \"p\", \"scores\": {\"a\": 1}}\n", 2, "duplicate id"),
    ])
    func malformedLinesNameFileAndLine(text: String, line: Int, reason: String) throws {
        #expect {
            _ = try load(text)
        } throws: { error in
            guard let error = error as? DatasetError else { return false }
            return error.line == line && error.reason.contains(reason) && error.file.hasSuffix("d.jsonl")
        }
    }

    @Test func gzipRoundTrip() throws {
        let directory = try fixtureDirectory([:])
        let path = (directory as NSString).appendingPathComponent("set.jsonl.gz")
        let lines = [DatasetLine(id: "1", prompt: "Grüße, 東京", dataset: "t", scores: ["a": 1], costUSD: ["a": 0.25])]
        try DatasetFile.write(lines, to: path)
        let set = try DatasetFile.load(path, prices: prices)
        #expect(set.records.map(\.prompt) == ["Grüße, 東京"])
        #expect(set.records[0].costs == [0.25])
    }

    @Test func brokenGzipIsAClearError() throws {
        let directory = try fixtureDirectory(["bad.jsonl.gz": "not gzip at all"])
        #expect(throws: DatasetError.self) {
            try DatasetFile.load((directory as NSString).appendingPathComponent("bad.jsonl.gz"), prices: prices)
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: DatasetError(file: "/nonexistent.jsonl", "cannot read the file")) {
            try DatasetFile.load("/nonexistent.jsonl", prices: prices)
        }
    }
}
