import Foundation
import Testing

/// The router files shipped in routers/ (scripts/train-routers.sh): they load with today's format,
/// were trained on today's bundled data (routers/manifest.json holds the data files' fingerprints
/// and each file's version and embedder), and today's MiniLM serves the one trained on it, so a
/// change that makes them stale fails here rather than in a user's cluster.
@Suite(.timeLimit(.minutes(2))) struct ShippedRoutersTests {
    static let data = ["data/routellm/mmlu.jsonl.gz", "data/routellm/gsm8k.jsonl.gz", "data/routellm/mt_bench.jsonl.gz"]

    @Test func theShippedRoutersAreCurrent() async throws {
        let (status, output, errors) = try await Cluster.capture(
            "switchyard", ["inspect", "routers/minilm.bin", "routers/hash.bin", "--manifest"] + Self.data, in: Repository.root)
        try #require(status == 0, "a shipped router file no longer loads: \(errors)")
        let now = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? NSDictionary
        let shipped = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Repository.root.appendingPathComponent("routers/manifest.json"))) as? NSDictionary
        #expect(now == shipped, "routers/ is stale (other data, or another format): scripts/train-routers.sh rebuilds it\nnow: \(output)")
        // Today's MiniLM (int8) is the one routers/minilm.bin was trained with: routing refuses otherwise.
        let routed = try await Cluster.capture(
            "switchyard", ["route", "--router", "routers/minilm.bin", "Prove that the square root of 2 is irrational."], in: Repository.root)
        #expect(routed.status == 0 && routed.output.hasPrefix("model: "), "\(routed.output)\(routed.errors)")
    }

    /// `switchyard route` works before anyone trains: from a folder with no router.bin it routes
    /// with the shipped MiniLM router.
    @Test func routeWorksWithoutTraining() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("route-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let routed = try await Cluster.capture("switchyard", ["route", "What is 17 times 23?"], in: folder)
        #expect(routed.status == 0 && routed.output.contains("(router "), "\(routed.output)\(routed.errors)")
    }
}
