import Foundation
import Store
import StoreTestSupport
import Testing

/// `switchyard outcomes`, the built executable, on a store of traffic: the summary's figures,
/// the export in the dataset format, and a router retrained from it that learned what the
/// feedback said.
@Suite(.timeLimit(.minutes(3))) struct OutcomesCommandTests {
    static let arithmetic = (0..<60).map { "What is \(17 + $0) times \(23 + 2 * $0)? Show the multiplication step by step." }
    static let poems = (0..<60).map { "Write a short poem about \(["autumn", "rivers", "snow", "the sea", "old trees", "city lights"][$0 % 6]), verse \($0)." }

    /// Traffic as a gateway with `--record-prompts text` would have kept it: each prompt answered
    /// by one of two models (alternating, as exploration would), rated 1 when that model is the
    /// right one for the topic (math for arithmetic, poet for poems) and 0 otherwise; the first
    /// ten unrated; one request failed.
    static func traffic(in store: OutcomeStore) async throws {
        var n = 0
        for (topic, prompts) in [("math", arithmetic), ("poet", poems)] {
            for (i, prompt) in prompts.enumerated() {
                let model = i % 2 == 0 ? "math" : "poet"
                let id = "chatcmpl-sy" + String(format: "%022d", n)
                n += 1
                try await store.record(OutcomeRecord(
                    id: id, createdMs: OutcomeRecord.nowMs() - 60_000 + Int64(n), key: n % 3 == 0 ? "batch" : "team", router: "cluster",
                    routerVersion: "v1", candidates: [.init(model: "math", predictedQuality: 0.5, predictedCostUSD: 0.001, score: 0.5)],
                    model: model, attempts: [.init(model: model, status: 0, latencyMs: Double(100 + n))], costUSD: 0.001,
                    inputTokens: 100, outputTokens: 200, latencyMs: Double(100 + n), prompt: prompt))
                if n > 10 { _ = try await store.feedback(FeedbackRecord(id: id, score: model == topic ? 1 : 0, key: n % 3 == 0 ? "batch" : "team", createdMs: 0)) }
            }
        }
        try await store.record(OutcomeRecord(
            id: "chatcmpl-syfailedfailedfailedfa", createdMs: OutcomeRecord.nowMs(), key: "team",
            attempts: [.init(model: "math", status: 14, error: "down", latencyMs: 5)], status: 14))
    }

    func run(_ arguments: [String]) async throws -> String {
        let (status, output, errors) = try await Cluster.capture("switchyard", arguments)
        guard status == 0 else { throw TestFailure("switchyard \(arguments.joined(separator: " ")) failed (\(status)):\n\(errors)") }
        return output
    }

    @Test func summaryExportAndARouterRetrainedFromTheFeedback() async throws {
        let path = temporaryStorePath("traffic")
        let store = try OutcomeStore(.sqlite(path: path))
        try await Self.traffic(in: store)
        store.close()

        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(try await run(["outcomes", "summary", "--store", "sqlite:\(path)", "--json"]).utf8))
                as? [String: Any])
        let total = try #require(summary["total"] as? [String: Any])
        #expect(total["requests"] as? Int == 121 && total["answers"] as? Int == 120 && total["failures"] as? Int == 1)
        #expect(total["rated"] as? Int == 110)
        let models = try #require(summary["models"] as? [String: [String: Any]])
        #expect(models["math"]?["answers"] as? Int == 60 && models["math"]?["failures"] as? Int == 1)
        // The poet model answered the 60 odd-numbered prompts: rated 1 on the poems, 0 on the arithmetic.
        #expect(models["poet"]?["rated"] as? Int == 55)
        let keys = try #require(summary["keys"] as? [String: [String: Any]])
        #expect(keys["batch"]?["requests"] as? Int == 40 && keys["team"]?["requests"] as? Int == 81)
        let table = try await run(["outcomes", "summary", "--store", "sqlite:\(path)"])
        #expect(table.contains("121 requests, 120 answered") && table.contains("per model") && table.contains("per API key"))

        let export = FileManager.default.temporaryDirectory.appendingPathComponent("traffic-\(UUID()).jsonl").path
        _ = try await run(["outcomes", "export", "--store", "sqlite:\(path)", "--rated", "--out", export])
        let lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 110, "the rated answers only")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect((first["scores"] as? [String: Double])?.count == 1, "the model that answered, and only it")
        #expect(first["dataset"] as? String == "traffic" && (first["feedback"] as? [[String: Any]])?.first?["source"] as? String == "user")
        #expect(try await run(["outcomes", "export", "--store", "sqlite:\(path)"]).split(separator: "\n").count == 121)

        // Retrained on what the feedback said, the router sends arithmetic to math and poems to poet.
        let router = FileManager.default.temporaryDirectory.appendingPathComponent("traffic-\(UUID()).bin").path
        let trained = try await run(["train", "--scores", "observed", "--router", "cluster", "--data", export, "--out", router])
        #expect(trained.contains("2 models"))
        let refused = try await Cluster.capture("switchyard", ["train", "--scores", "observed", "--router", "knn", "--data", export, "--out", router])
        #expect(refused.status != 0 && refused.errors.contains("cluster router only"))
        let onArithmetic = try await run(["route", "--router", router, "What is 31 times 47? Show the multiplication step by step."])
        #expect(onArithmetic.hasPrefix("model: math"), "\(onArithmetic)")
        let onPoem = try await run(["route", "--router", router, "Write a short poem about the mountains, verse 7."])
        #expect(onPoem.hasPrefix("model: poet"), "\(onPoem)")
    }

    /// Records keep the router's embedding by default (not the text): training takes it as the
    /// prompt, and refuses one another embedder made.
    @Test func anExportedEmbeddingMustComeFromTheTrainingEmbedder() async throws {
        let path = temporaryStorePath("traffic")
        let store = try OutcomeStore(.sqlite(path: path))
        for n in 0..<12 {
            let id = "chatcmpl-sy" + String(format: "%022d", n)
            try await store.record(OutcomeRecord(
                id: id, createdMs: OutcomeRecord.nowMs(), model: n % 2 == 0 ? "a" : "b", costUSD: 0.001, embedding: [0.1, 0.2, Float(n)]))
            _ = try await store.feedback(FeedbackRecord(id: id, score: 1, createdMs: 0))
        }
        store.close()
        let export = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-\(UUID()).jsonl").path
        _ = try await run(["outcomes", "export", "--store", "sqlite:\(path)", "--rated", "--out", export])
        let line = try #require(try JSONSerialization.jsonObject(with: Data(try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n")[0].utf8)) as? [String: Any])
        #expect(line["prompt"] as? String == "" && (line["embedding"] as? [Double])?.count == 3)
        let refused = try await Cluster.capture("switchyard", ["train", "--scores", "observed", "--router", "cluster", "--data", export, "--out", export + ".bin"])
        #expect(refused.status != 0 && refused.errors.contains("embedding of 3 dimensions"), "\(refused.errors)")
    }
}
