import Foundation
import Testing

/// `switchyard-load` against a real router process: what it counts, and how it refuses bad input.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct LoadClientTests {
    func report(_ output: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    @Test func closedAndOpenLoopsCountWhatTheySent() async throws {
        try await Cluster.with { cluster in
            let router = try await cluster.start("switchyard-router", ["--router-file", try await RouterFiles.gsm8k(in: cluster)])
            let prompts = Repository.path("data/routellm/gsm8k.jsonl.gz")
            let closed = try await Cluster.capture("switchyard-load", [
                router.address, "--vectors", "--prompts", prompts, "--requests", "300", "--warmup", "0",
                "--connections", "2", "--depth", "4", "--json",
            ])
            #expect(closed.status == 0, "\(closed.errors)")
            let closedReport = try report(closed.output)
            #expect(closedReport["requests"] as? Int == 300 && closedReport["ok"] as? Int == 300)
            let latency = try #require(closedReport["latencyMicroseconds"] as? [String: Double])
            #expect(latency["p50"]! > 0 && latency["p50"]! <= latency["p99"]! && latency["p99"]! <= latency["max"]!)

            let open = try await Cluster.capture("switchyard-load", [
                router.address, "--prompts", prompts, "--rate", "400", "--duration", "1", "--warmup", "0.2", "--connections", "2", "--json",
            ])
            #expect(open.status == 0, "\(open.errors)")
            let openReport = try report(open.output)
            let sent = try #require(openReport["requests"] as? Int)
            #expect((300...500).contains(sent), "\(sent) requests at 400/s for 1 s")
            #expect((openReport["mode"] as? String)?.contains("open loop") == true)

            // Errors are counted by status, not hidden: an unknown model is INVALID_ARGUMENT.
            let bad = try await Cluster.capture("switchyard-load", [
                router.address, "--method", "complete", "--prompts", prompts, "--requests", "20", "--warmup", "0", "--json",
            ])
            let badReport = try report(bad.output)
            #expect((badReport["errors"] as? [String: Int])?["UNIMPLEMENTED"] == 20)
        }
    }

    @Test func badInputIsAClearErrorNotAHang() async throws {
        let started = ContinuousClock.now
        let unreachable = try await Cluster.capture("switchyard-load", ["127.0.0.1:1", "--method", "health", "--duration", "1"])
        #expect(unreachable.status != 0)
        #expect(unreachable.errors.contains("not reachable"), "\(unreachable.errors)")
        let missing = try await Cluster.capture("switchyard-load", ["127.0.0.1:1", "--prompts", "/nonexistent/prompts.jsonl"])
        #expect(missing.status != 0 && missing.errors.contains("--prompts"), "\(missing.errors)")
        for flags in [["--rate", "-5"], ["--rate", "0"], ["--connections", "0"], ["--duration", "nan"]] {
            let result = try await Cluster.capture("switchyard-load", ["127.0.0.1:1"] + flags)
            #expect(result.status != 0 && !result.errors.isEmpty, "\(flags)")
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
