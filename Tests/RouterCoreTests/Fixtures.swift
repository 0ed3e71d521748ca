@testable import RouterCore

/// Points scattered around `centers` with a seeded generator: `perCenter` points each.
func blobs(_ centers: [[Float]], perCenter: Int, spread: Float, seed: UInt64 = 7) -> (Matrix, [Int]) {
    var random = SeededGenerator(seed: seed)
    var rows: [[Float]] = []
    var labels: [Int] = []
    for (label, center) in centers.enumerated() {
        for _ in 0..<perCenter {
            rows.append(center.map { $0 + Float(random.nextUnit() * 2 - 1) * spread })
            labels.append(label)
        }
    }
    return (Matrix(rows, columns: centers[0].count), labels)
}

/// A complete set whose prompts have the given per-model scores and costs.
func completeSet(models: [String], scores: [[Double]], costs: [[Double]], datasets: [String]? = nil) -> CompleteSet {
    let records = scores.indices.map { i in
        PromptSet.Record(id: "p\(i)", prompt: "prompt \(i)", dataset: datasets?[i], scores: scores[i], costs: costs[i])
    }
    return CompleteSet(models: models, records: records, scores: scores, costs: costs, scoreScale: 0...1, notes: [])
}
