import Foundation
import RouterCore

/// The text tables of `switchyard eval`.
struct ReportPrinter {
    let report: EvaluationReport

    /// Quality in the benchmark's own units: percent for [0, 1] scores, else its scale.
    func quality(_ q: Double) -> String {
        guard let scale = report.scoreScale, scale != [0, 1] else { return String(format: "%.2f%%", q * 100) }
        return String(format: "%.3f", scale[0] + q * (scale[1] - scale[0]))
    }

    /// Dollars per 1,000 prompts.
    func cost(_ c: Double) -> String { String(format: "$%.4f", c * 1000) }

    /// "0.675 [0.661, 0.688]", or the one value for a single seed.
    func spread(_ s: Spread?, _ format: String = "%.3f", scale: Double = 1) -> String {
        guard let s else { return "n/a" }
        let mean = String(format: format, s.mean * scale)
        guard report.seeds.count > 1 else { return mean }
        return mean + " [" + String(format: format, s.min * scale) + ", " + String(format: format, s.max * scale) + "]"
    }

    func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }

    var text: String {
        var out: [String] = []
        let unit = report.scoreScale.map { $0 == [0, 1] ? "percent" : "score \(Int($0[0]))-\(Int($0[1]))" } ?? "normalised 0-1 units (mixed scales)"
        out.append("== \(report.name): \(report.models.count) models, \(report.trainCount) train / \(report.testCount) test prompts, "
            + "seeds \(report.seeds.map(String.init).joined(separator: ", "))")
        out.append("   quality in \(unit); cost in dollars per 1,000 prompts; figures are mean [min, max] over the seeds")
        for note in report.notes { out.append("   note: \(note)") }
        if report.models.count == 2 { out += routeLLMTable() }
        out += costAwareTable()
        out.append("\n-- single models (test prompts)")
        for model in report.models.sorted(by: { report.singleCosts[$0]!.mean < report.singleCosts[$1]!.mean }) {
            out.append("  " + pad(quality(report.singles[model]!.mean), 9) + "  " + pad(cost(report.singleCosts[model]!.mean), 10) + "  " + model)
        }
        out.append("  " + pad(quality(report.oracleQuality.mean), 9) + "  " + pad(cost(report.oracleCost.mean), 10)
            + "  oracle (best model per prompt, cheapest on ties)")
        return out.joined(separator: "\n")
    }

    private func routeLLMTable() -> [String] {
        var out = ["\n-- RouteLLM's protocol: strong \(report.strong) (\(quality(report.singles[report.strong]!.mean))), "
            + "weak \(report.weak) (\(quality(report.singles[report.weak]!.mean)))"]
        out.append("   thresholds at the deciles of each router's strong-win scores; CPT(x) = strong share needed for x of the gap")
        let wide = report.seeds.count > 1 ? 24 : 8
        out.append("  " + pad("router", 34) + pad("APGR", wide) + pad("CPT(20%)", wide) + pad("CPT(50%)", wide) + pad("CPT(80%)", wide) + "us/request")
        out.append("  " + pad("optimal (RouteLLM's oracle curve)", 34) + spread(report.optimalSpread))
        for row in report.routers.sorted(by: { ($0.apgr?.mean ?? 0) > ($1.apgr?.mean ?? 0) }) {
            let flag = row.monotone == false ? "  (curve not monotone)" : ""
            out.append("  " + pad(row.router, 34) + pad(spread(row.apgr), wide) + pad(spread(row.cpt20, "%.1f%%"), wide)
                + pad(spread(row.cpt50, "%.1f%%"), wide) + pad(spread(row.cpt80, "%.1f%%"), wide)
                + String(format: "%.0f", row.microsecondsPerRequest.mean) + flag)
        }
        out.append("  " + pad("random (RouteLLM's seeded loop)", 34) + spread(report.randomSpread))
        let datasets = Set(report.routers.flatMap { $0.perDataset.keys }).sorted()
        if !datasets.isEmpty {
            out.append("\n-- APGR per benchmark of the pooled test set (each router trained once on the pooled training set)")
            out.append("  " + pad("router", 34) + datasets.map { pad($0, wide) }.joined())
            for row in report.routers {
                out.append("  " + pad(row.router, 34) + datasets.map { pad(spread(row.perDataset[$0]), wide) }.joined())
            }
        }
        return out
    }

    private func costAwareTable() -> [String] {
        let best = report.models.max { report.singles[$0]!.mean < report.singles[$1]!.mean }!
        var out = ["\n-- cost-aware alpha sweep (alpha x quality~ + (1 - alpha) x (1 - cost~); a different curve from the thresholds above)"]
        out.append("   best single model: \(best), \(quality(report.singles[best]!.mean)) at \(cost(report.singleCosts[best]!.mean)); "
            + "zero router (single models' hull) AIQ \(spread(report.zeroRouterAIQ))")
        let wide = report.seeds.count > 1 ? 24 : 9
        let area = report.models.count == 2
        let saved = wide + 12  // room for " (2/3 seeds)"
        out.append("  " + pad("router", 34) + pad("AIQ", wide) + pad("gain vs best", wide) + pad("saved at best", saved)
            + pad("saved at 90%", wide) + (area ? "PGR area of the alpha curve" : ""))
        for row in report.routers.sorted(by: { $0.aiq.mean > $1.aiq.mean }) {
            let reached = row.reachedBest == report.seeds.count ? "" : " (\(row.reachedBest)/\(report.seeds.count) seeds)"
            out.append("  " + pad(row.router, 34) + pad(spread(row.aiq), wide) + pad(spread(row.gainPercent, "%+.1f%%"), wide)
                + pad(spread(row.savedAtBestPercent, "%.0f%%") + reached, saved) + pad(spread(row.savedAt90Percent, "%.0f%%"), wide)
                + (area ? spread(row.alphaCurveArea) : ""))
        }
        return out
    }
}
