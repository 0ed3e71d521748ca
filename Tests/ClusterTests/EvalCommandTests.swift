import Foundation
import StoreTestSupport
import Testing

/// `switchyard eval`, the built executable, end to end: on a tiny fixture with every router
/// family, and on the bundled MMLU split against figures RouteLLM's own evaluation code computed
/// from the same scores (scripts/routellm-crosscheck.sh wrote them).
@Suite(.timeLimit(.minutes(3))) struct EvalCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Runs `switchyard` with `arguments` and `--json`; its report, decoded.
    func report(_ arguments: [String]) async throws -> [String: Any] {
        let (status, output, errors) = try await Cluster.capture("switchyard", arguments + ["--json"])
        guard status == 0 else { throw TestFailure("switchyard \(arguments.joined(separator: " ")) failed (\(status)):\n\(errors)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    func routers(_ report: [String: Any]) -> [String: [String: Any]] {
        let list = report["routers"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["router"] as? String ?? "?", $0) })
    }

    func mean(_ router: [String: Any]?, _ key: String) -> Double? {
        (router?[key] as? [String: Any])?["mean"] as? Double
    }

    /// A team's own data, as a user first brings it: models the price table does not know, run
    /// from outside the repository, too few prompts for a split. Each error says what to do.
    @Test func ownDataMistakesAreExplained() async throws {
        try await Cluster.with { cluster in
            let folder = cluster.folder
            var lines: [String] = []
            for i in 0..<30 {
                let line: [String: Any] = [
                    "id": "p\(i)", "prompt": "question \(i) on topic \(i % 5)", "scores": ["big-model": Double(i % 3) / 2, "small-model": Double(i % 2)],
                    "tokens": ["big-model": ["input": 20, "output": 100], "small-model": ["input": 20, "output": 90]],
                ]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
            }
            let data = folder.appendingPathComponent("mine.jsonl")
            try lines.joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
            // From a folder outside the repository: the bundled price table is still found, and
            // knows neither model.
            let unpriced = try await Cluster.capture("switchyard", ["train", "--data", data.path, "--out", "r.bin"], in: folder)
            #expect(unpriced.status != 0 && unpriced.errors.contains("no price for big-model, small-model in the price table"), "\(unpriced.errors)")
            let prices = folder.appendingPathComponent("prices.json")
            try #"{"big-model": {"input_per_million": 5, "output_per_million": 15, "source": "ours"}}"#.write(to: prices, atomically: true, encoding: .utf8)
            let one = try await Cluster.capture("switchyard", ["train", "--data", data.path, "--prices", prices.path, "--out", "r.bin"], in: folder)
            #expect(one.errors.contains("left out model small-model: scored on 100% of prompts but costed on 0%"), "\(one.errors)")
            #expect(one.status != 0 && one.errors.contains("only big-model is left to train on"))
            try #"{"big-model": {"input_per_million": 5, "output_per_million": 15, "source": "ours"}, "small-model": {"input_per_million": 0.5, "output_per_million": 1, "source": "ours"}}"#
                .write(to: prices, atomically: true, encoding: .utf8)
            let trained = try await Cluster.capture("switchyard", ["train", "--data", data.path, "--prices", prices.path, "--out", "r.bin"], in: folder)
            #expect(trained.status == 0, "\(trained.errors)")
            let eval = try await Cluster.capture("switchyard", ["eval", "--data", data.path, "--prices", prices.path], in: folder)
            #expect(eval.status != 0 && eval.errors.contains("only 30 prompts") && eval.errors.contains("needs at least 200"), "\(eval.errors)")
        }
    }

    /// `switchyard train --prompts-only`: a router from a team's prompts alone (no scores), every
    /// model at the prior, priced from the price table; an unpriced model is named.
    @Test func aRouterFromPromptsAlone() async throws {
        try await Cluster.with { cluster in
            let out = cluster.folder.appendingPathComponent("prompts-only.bin").path
            let models = "gpt-4-1106-preview,mistralai/Mixtral-8x7B-Instruct-v0.1"
            let trained = try await Cluster.capture("switchyard", [
                "train", "--prompts-only", "--data", Repository.path("data/routellm/gsm8k.jsonl.gz"), "--models", models,
                "--prices", Repository.path("data/prices.json"), "--knob", "cluster.k=8", "--out", out,
            ])
            #expect(trained.status == 0 && trained.output.contains("2 models at the prior"), "\(trained.output)\(trained.errors)")
            let shown = try await Cluster.capture("switchyard", ["inspect", out])
            #expect(shown.output.contains("routers cluster(prompts only)") && shown.output.contains("(prompts only)"))
            // With every model at the prior, the cheaper one wins whenever cost counts at all.
            let routed = try await Cluster.capture("switchyard", ["route", "--router", out, "--alpha", "0.5", "What is 2 + 2?"])
            #expect(routed.status == 0 && routed.output.hasPrefix("model: mistralai/Mixtral-8x7B-Instruct-v0.1"), "\(routed.output)")
            let unpriced = try await Cluster.capture("switchyard", [
                "train", "--prompts-only", "--data", Repository.path("data/routellm/gsm8k.jsonl.gz"), "--models", "gpt-4-1106-preview,our-own",
                "--prices", Repository.path("data/prices.json"), "--out", out,
            ])
            #expect(unpriced.status != 0 && unpriced.errors.contains("no price for our-own"))
        }
    }

    @Test func everyRouterFamilyOnATinyFixture() async throws {
        let data = Self.fixtures.appendingPathComponent("tiny-eval.jsonl").path
        let perPrompt = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: perPrompt) }
        let report = try await report(["eval", "--data", data, "--seeds", "42,7", "--per-prompt", perPrompt.path])
        let routers = routers(report)
        #expect(Set(routers.keys) == ["cluster", "knn", "predictor", "mf", "sw-ranking", "classifier", "length", "random"])
        #expect(report["testCount"] as? Int == 72 && report["trainCount"] as? Int == 168)
        let optimal = try #require((report["optimalSpread"] as? [String: Any])?["mean"] as? Double)
        let random = try #require(mean(routers["random"], "apgr"))
        for (name, router) in routers {
            let apgr = try #require(mean(router, "apgr"), "\(name)")
            #expect(apgr <= optimal, "\(name): no router beats the oracle curve")
            if !["random", "length"].contains(name) {
                // The fixture's hard prompts (proofs) need the strong model: every learned router finds them.
                #expect(apgr > random + 0.15, "\(name) APGR \(apgr) against random's \(random)")
            }
        }
        // Every test prompt of every seed, with every router's score and choice.
        let lines = try String(contentsOf: perPrompt, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 72 * 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for name in routers.keys {
            #expect(first[name] is Double || first[name] is Int, "\(name)'s score")
            #expect(first["choice:\(name)"] is String, "\(name)'s choice")
        }
        let (status, text, _) = try await Cluster.capture("switchyard", ["eval", "--data", data, "--seeds", "42", "--routers", "length,random"])
        #expect(status == 0 && text.contains("RouteLLM's protocol") && text.contains("cost-aware alpha sweep"))
    }

    struct Reference: Decodable {
        struct Figures: Decodable {
            var apgr, cpt20, cpt50, cpt80: Double
        }
        var arguments: [String]
        var prompts: Int
        var routers: [String: Figures]
        var random_loop: Figures
        var optimal: Figures
    }

    /// The APGR and CPT `switchyard eval` prints on the bundled MMLU split (seed 42) are the
    /// figures RouteLLM's evaluation code gives for the same scores (to rounding).
    @Test func mmluSeed42IsWhatRouteLLMsEvaluationComputes() async throws {
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("routellm-mmlu-seed42.json")))
        let arguments = reference.arguments.map { $0.hasPrefix("data/") ? Repository.path($0) : $0 }
        let report = try await report(arguments)
        #expect(report["testCount"] as? Int == reference.prompts)
        func close(_ a: Double?, _ b: Double, _ what: String) {
            #expect(a.map { abs($0 - b) < 1e-9 } == true, "\(what): switchyard \(a.map { "\($0)" } ?? "nothing"), RouteLLM \(b)")
        }
        let routers = routers(report)
        for (name, figures) in reference.routers {
            close(mean(routers[name], "apgr"), figures.apgr, "\(name) APGR")
            close(mean(routers[name], "cpt20"), figures.cpt20, "\(name) CPT(20%)")
            close(mean(routers[name], "cpt50"), figures.cpt50, "\(name) CPT(50%)")
            close(mean(routers[name], "cpt80"), figures.cpt80, "\(name) CPT(80%)")
        }
        let loop = report["random"] as? [String: Any]
        close(loop?["apgr"] as? Double, reference.random_loop.apgr, "random (RouteLLM's seeded loop) APGR")
        close(loop?["cpt50"] as? Double, reference.random_loop.cpt50, "random (RouteLLM's seeded loop) CPT(50%)")
        close((report["optimalSpread"] as? [String: Any])?["mean"] as? Double, reference.optimal.apgr, "optimal APGR")
    }
}
