import Foundation
import RouterCore

/// The text tables of `switchyard eval`.
struct ReportPrinter {
    let report: EvaluationReport

    /// Quality in the benchmark's own units: percent for [0, 1] scores, else its scale.
    func quality(_ q: Double) -> String {
        guard let scale = report.scoreScale, scale != [0, 1] else { return String(format: "%6.2f%%", q * 100) }
        return String(format: "%7.3f", scale[0] + q * (scale[1] - scale[0]))
    }

    /// Dollars per 1,000 prompts.
    func cost(_ c: Double) -> String { String(format: "$%9.4f", c * 1000) }

    func percent(_ x: Double?) -> String { x.map { String(format: "%5.1f%%", $0 * 100) } ?? "  n/a " }

    var text: String {
        var out: [String] = []
        let unit = report.scoreScale.map { $0 == [0, 1] ? "percent" : "score \(Int($0[0]))-\(Int($0[1]))" } ?? "normalised 0-1 units (mixed scales)"
        out.append("== \(report.name): \(report.models.count) models, \(report.trainCount) train / \(report.testCount) test prompts")
        out.append("   router \(report.routerVersion); quality in \(unit); cost in dollars per 1,000 prompts")
        for note in report.notes { out.append("   note: \(note)") }

        out.append("\n-- single models, oracle, random")
        out.append("  " + "quality".padding(9) + "  " + "cost/1k".padding(10) + "  router")
        for single in report.singles.sorted(by: { $0.cost < $1.cost }) { out.append(row(single, single.label)) }
        out.append(row(report.oracle, "oracle (best model per prompt, cheapest on ties)"))
        for random in report.random { out.append(row(random, "random mix \(percent(random.alpha)) best / rest cheapest")) }

        out.append("\n-- cluster router (Avengers-Pro) and kNN, per alpha")
        out.append("  alpha   cluster quality  cost/1k      kNN quality  cost/1k     cluster's most used models")
        for (cluster, knn) in zip(report.cluster, report.knn) {
            let mix = (cluster.mix ?? [:]).sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key) \(Int(($0.value * 100).rounded()))%" }.joined(separator: ", ")
            out.append(String(format: "  %4.2f   ", cluster.alpha ?? 0) + "\(quality(cluster.quality))  \(cost(cluster.cost))"
                + "    \(quality(knn.quality))  \(cost(knn.cost))    \(mix)")
        }

        if let sw = report.strongWeak {
            out.append("\n-- RouteLLM metrics (strong \(sw.strong), weak \(sw.weak)); CPT = share of calls to the strong model")
            out.append("  router     APGR    CPT(50%)  CPT(80%)")
            for r in sw.rows {
                out.append("  " + r.router.padding(9) + String(format: "  %.3f", r.apgr) + "   \(percent(r.cpt50))    \(percent(r.cpt80))")
            }
        }

        out.append("\n-- Pareto frontier (cluster router over alpha, and single models)")
        for point in report.frontier {
            out.append(row(point, point.alpha.map { String(format: "cluster alpha %.3f", $0) } ?? point.label))
        }

        if let a = report.avengers {
            out.append("\n-- Avengers-Pro figures against the best single model (\(a.bestModel): \(quality(a.bestQuality)), \(cost(a.bestCost)))")
            out.append(String(format: "  peak quality %@ at alpha %.3f: %+.1f%% over the best model", quality(a.peakQuality), a.peakAlpha, a.gainPercent))
            out.append("  cost saved at the best model's quality: " + saved(a.savedAtEqualQualityPercent))
            out.append("  cost saved at 90% of its quality:       " + saved(a.savedAt90PercentQualityPercent))
        }
        if let aiq = report.aiq {
            out.append("\n-- RouterBench AIQ over costs \(cost(aiq.costRange[0]))...\(cost(aiq.costRange[1])) per 1k (higher is better)")
            out.append("  cluster \(quality(aiq.cluster))   kNN \(quality(aiq.knn))   zero router (single models' hull) \(quality(aiq.zeroRouter))")
        }
        if !report.perDataset.isEmpty {
            out.append("\n-- pooled vs per-benchmark: does the gain hold when benchmarks are mixed?")
            out.append("  benchmark   test   APGR pooled  APGR own   CPT(50%) pooled  CPT(50%) own   gain pooled  gain own")
            for d in report.perDataset {
                out.append("  " + d.dataset.padding(10) + String(format: " %5d", d.testCount)
                    + String(format: "   %8.3f   %8.3f", d.pooled?.apgr ?? .nan, d.own?.apgr ?? .nan)
                    + "       \(percent(d.pooled?.cpt50))        \(percent(d.own?.cpt50))"
                    + String(format: "      %+6.1f%%   %+6.1f%%", d.pooledGainPercent, d.ownGainPercent))
            }
        }
        return out.joined(separator: "\n")
    }

    private func row(_ point: OperatingPoint, _ label: String) -> String {
        "  \(quality(point.quality))  \(cost(point.cost))  \(label)"
    }

    private func saved(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0) } ?? "not reached"
    }
}

extension String {
    func padding(_ width: Int) -> String { padding(toLength: max(width, count), withPad: " ", startingAt: 0) }
}
