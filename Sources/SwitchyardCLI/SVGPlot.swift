import Foundation
import RouterCore

/// Cost (log scale) against quality: single models, oracle, random mixes, and the cluster and
/// kNN routers' alpha curves, as a standalone SVG.
struct SVGPlot {
    let report: EvaluationReport
    let width = 900.0, height = 560.0, margin = 70.0

    func render() -> String {
        let points = report.singles + report.cluster + report.knn + report.random + [report.oracle]
        let costs = points.map(\.cost).filter { $0 > 0 }
        let (lowCost, highCost) = (log10(costs.min() ?? 1e-6) - 0.1, log10(costs.max() ?? 1) + 0.1)
        let (lowQ, highQ) = (points.map(\.quality).min()! - 0.02, points.map(\.quality).max()! + 0.02)
        func x(_ c: Double) -> Double { margin + (log10(max(c, 1e-12)) - lowCost) / (highCost - lowCost) * (width - 2 * margin) }
        func y(_ q: Double) -> Double { height - margin - (q - lowQ) / (highQ - lowQ) * (height - 2 * margin) }
        func polyline(_ curve: [OperatingPoint], _ color: String) -> String {
            let path = curve.sorted { $0.cost < $1.cost }.map { String(format: "%.1f,%.1f", x($0.cost), y($0.quality)) }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
        }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(Int(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(escape(report.name)): cost vs quality</text>",
            "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 20))\" text-anchor=\"middle\">cost per prompt (dollars, log scale)</text>",
            "<text x=\"18\" y=\"\(Int(height / 2))\" transform=\"rotate(-90 18 \(Int(height / 2)))\" text-anchor=\"middle\">quality (normalised)</text>",
            "<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(width - 2 * margin)\" height=\"\(height - 2 * margin)\" fill=\"none\" stroke=\"#888\"/>",
        ]
        for exponent in Int(lowCost.rounded(.up))...Int(highCost.rounded(.down)) {
            let gx = x(pow(10, Double(exponent)))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">1e%d</text>", gx, height - margin + 16, exponent))
        }
        for tick in 0...4 {
            let q = lowQ + (highQ - lowQ) * Double(tick) / 4
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>", margin - 6, y(q) + 4, q))
        }
        svg.append(polyline(report.random, "#bbb"))
        svg.append(polyline(report.knn, "#2a9d8f"))
        svg.append(polyline(report.cluster, "#e63946"))
        for single in report.singles {
            svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1d3557\"/>", x(single.cost), y(single.quality)))
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1d3557\">%@</text>", x(single.cost) + 6, y(single.quality) - 4, escape(single.label)))
        }
        svg.append(String(format: "<path d=\"M %.1f %.1f l 6 -10 l 6 10 z\" fill=\"#f4a261\"/>", x(report.oracle.cost) - 6, y(report.oracle.quality) + 5))
        let legend = [("cluster router (alpha sweep)", "#e63946"), ("kNN (alpha sweep)", "#2a9d8f"), ("random mix", "#bbb"),
                      ("single models", "#1d3557"), ("oracle", "#f4a261")]
        for (i, (label, color)) in legend.enumerated() {
            let ly = margin + 14 + Double(i) * 16
            svg.append("<rect x=\"\(width - margin - 190)\" y=\"\(ly - 9)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>")
            svg.append("<text x=\"\(width - margin - 175)\" y=\"\(ly)\">\(label)</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
