import Foundation

/// Pairwise preferences between models, derived from per-model scores: on a prompt, model a beats
/// model b when it scored higher; equal scores are a tie.
public enum Battles {
    /// a's result against b on one prompt: 1 a wins, 0.5 tie, 0 b wins.
    @inlinable
    public static func outcome(_ a: Double, _ b: Double) -> Double {
        abs(a - b) <= 1e-12 ? 0.5 : (a > b ? 1 : 0)
    }

    /// Every decisive battle (no ties, as RouteLLM's MF training filters them) of `scores`:
    /// (prompt, winner, loser).
    public static func decisive(_ scores: [[Double]]) -> [(prompt: Int, winner: Int, loser: Int)] {
        var battles: [(prompt: Int, winner: Int, loser: Int)] = []
        for (i, row) in scores.enumerated() {
            for a in row.indices {
                for b in (a + 1)..<row.count where abs(row[a] - row[b]) > 1e-12 {
                    battles.append(row[a] > row[b] ? (i, a, b) : (i, b, a))
                }
            }
        }
        return battles
    }
}

/// The Bradley–Terry model fitted to weighted pairwise results: strengths r with
/// P(a beats b) = r_a / (r_a + r_b), by maximum likelihood (Hunter's MM iterations). A tie counts
/// half a win each way, as RouteLLM's `compute_elo_mle_with_tie` counts it.
public enum BradleyTerry {
    /// Strengths (summing to the number of models) from `wins[a][b]`, the weighted number of
    /// times a beat b. `prior` pseudo-wins each way keep a model that never won finite.
    public static func strengths(_ wins: [[Double]], prior: Double = 1e-3, iterations: Int = 200) -> [Double] {
        let m = wins.count
        guard m > 1 else { return Array(repeating: 1, count: m) }
        var w = wins
        for a in 0..<m { for b in 0..<m where a != b { w[a][b] += prior } }
        var r = [Double](repeating: 1, count: m)
        for _ in 0..<iterations {
            var next = r
            var change = 0.0
            for a in 0..<m {
                var won = 0.0, denominator = 0.0
                for b in 0..<m where b != a {
                    won += w[a][b]
                    denominator += (w[a][b] + w[b][a]) / (r[a] + r[b])
                }
                next[a] = denominator > 0 ? won / denominator : r[a]
            }
            let total = next.reduce(0, +)
            for a in 0..<m {
                next[a] *= Double(m) / total
                change = max(change, abs(next[a] - r[a]) / max(r[a], 1e-12))
            }
            r = next
            if change < 1e-9 { break }
        }
        return r
    }

    /// P(a beats b) for strengths r.
    @inlinable
    public static func winProbability(_ r: [Double], _ a: Int, _ b: Int) -> Double { r[a] / (r[a] + r[b]) }
}
