import ArgumentParser
import RouterCore

/// In-process routing: one decision over 64 centroids x 384 dimensions and 12 models (the hash
/// embedder has its own benchmark, `hash`).
struct RouteBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "ns per in-process route decision.")

    @Option(help: "Clusters.") var clusters = 64
    @Option(help: "Dimensions.") var dimension = 384
    @Option(help: "Models.") var models = 12
    @Option(help: "Timed batches.") var batches = 50
    @Option(help: "Decisions per batch.") var batchSize = 2000

    func run() throws {
        var random = SeededGenerator(seed: 1)
        let unit = { (n: Int) -> [Float] in Vectors.normalized((0..<n).map { _ in Float(random.nextUnit() * 2 - 1) }) }
        let k = clusters, m = models
        let model = ClusterRouterModel(
            models: (0..<m).map { "model-\($0)" }, pair: ModelPair(strong: 0, weak: 1),
            centroids: Matrix(rows: k, columns: dimension, storage: (0..<k).flatMap { _ in unit(dimension) }),
            clusterSizes: Array(repeating: 100, count: k),
            performance: (0..<k * m).map { _ in random.nextUnit() }, cost: (0..<k * m).map { _ in random.nextUnit() / 100 },
            topK: 3, beta: 9)
        let router = try ClusterRouter(model: model)
        let decider = Decider(router)
        let queries = (0..<256).map { _ in RoutingQuery(embedding: unit(dimension), length: 100) }
        var samples = Samples(capacity: batches)
        var sink = 0
        for _ in 0..<batches {
            let start = nowNanoseconds()
            for i in 0..<batchSize {
                sink &+= try decider.decide(router.estimate(queries[i & 255]), objective: .tradeoff(alpha: 0.7)).model
            }
            samples.append(Double(nowNanoseconds() - start) / Double(batchSize))
        }
        var nearest = Samples(capacity: batches)
        for _ in 0..<batches {
            let start = nowNanoseconds()
            for i in 0..<batchSize { sink &+= try router.nearestClusters(queries[i & 255].embedding)[0].cluster }
            nearest.append(Double(nowNanoseconds() - start) / Double(batchSize))
        }
        print("nearest clusters only: p50 \(format(nearest.percentile(50), 0)) ns")
        print("route decision (\(k) centroids x \(dimension) dims, \(m) models, top-3): "
            + "p50 \(format(samples.percentile(50), 0)) ns, p99 \(format(samples.percentile(99), 0)) ns per decision")

        precondition(sink != 0)
    }
}
