import Foundation
import RouterCore

/// The first seed's curves as a standalone SVG: cost (log scale) against quality for every
/// router's alpha sweep, the single models (only the ones that matter labelled) and the oracle;
/// for two-model sets a second panel of RouteLLM's threshold curves (quality against the share
/// of strong calls) beside random and the optimal curve.
struct SVGPlot {
    let report: EvaluationReport
    let panelWidth = 620.0, height = 520.0, margin = 62.0
    static let colors = ["#e63946", "#2a9d8f", "#457b9d", "#f4a261", "#6a4c93", "#8ab17d", "#b5838d", "#999999", "#264653"]

    func render() -> String {
        let twoPanels = !report.plot.thresholdCurves.isEmpty
        let width = panelWidth * (twoPanels ? 2 : 1)
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(Int(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(report.name)) (seed \(report.seeds[0]))</text>",
        ]
        svg += costPanel(left: 0)
        if twoPanels { svg += thresholdPanel(left: panelWidth) }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    private var routerNames: [String] { report.routers.map(\.router) }

    private func color(_ router: String) -> String { Self.colors[(routerNames.firstIndex(of: router) ?? 0) % Self.colors.count] }

    private func costPanel(left: Double) -> [String] {
        let plot = report.plot
        let points = plot.singles + plot.alphaCurves.values.flatMap { $0 } + [plot.oracle]
        let costs = points.map(\.cost).filter { $0 > 0 }
        let (lowCost, highCost) = (log10(costs.min() ?? 1e-6) - 0.1, log10(costs.max() ?? 1) + 0.1)
        let (lowQ, highQ) = (points.map(\.quality).min()! - 0.02, points.map(\.quality).max()! + 0.02)
        let frame = Frame(left: left, width: panelWidth, height: height, margin: margin, x: lowCost...highCost, y: lowQ...highQ)
        func x(_ c: Double) -> Double { frame.x(log10(max(c, 1e-12))) }
        var svg = frame.axes(title: "alpha sweep: cost vs quality", xLabel: "cost per prompt (dollars, log scale)", yLabel: "quality")
        for exponent in Int(lowCost.rounded(.up))...Int(highCost.rounded(.down)) {
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">1e%d</text>", frame.x(Double(exponent)), height - margin + 16, exponent))
        }
        for router in routerNames {
            let curve = (plot.alphaCurves[router] ?? []).sorted { $0.cost < $1.cost }
            svg.append(polyline(curve.map { (x($0.cost), frame.y($0.quality)) }, color(router)))
        }
        // Label the cheapest model, the best one, and the models on the single models' hull.
        let hull = Set(CostQuality.hull(plot.singles.map { ($0.cost, $0.quality) }).map(\.cost))
        for single in plot.singles {
            svg.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1d3557\"/>", x(single.cost), frame.y(single.quality)))
            if hull.contains(single.cost) {
                svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1d3557\">%@</text>", x(single.cost) + 5, frame.y(single.quality) - 4, escape(single.label)))
            }
        }
        svg.append(String(format: "<path d=\"M %.1f %.1f l 6 -10 l 6 10 z\" fill=\"#f4a261\"/>", x(plot.oracle.cost) - 6, frame.y(plot.oracle.quality) + 5))
        let legend = routerNames.map { ($0, color($0)) } + [("single models (hull labelled)", "#1d3557"), ("oracle", "#f4a261")]
        svg += frame.legend(legend)
        return svg
    }

    private func thresholdPanel(left: Double) -> [String] {
        let plot = report.plot
        let curves = plot.thresholdCurves.values.flatMap { $0 } + plot.optimalCurve
        let (lowQ, highQ) = (curves.map(\.qualityPercent).min()! - 1, curves.map(\.qualityPercent).max()! + 1)
        let frame = Frame(left: left, width: panelWidth, height: height, margin: margin, x: 0...100, y: lowQ...highQ)
        var svg = frame.axes(title: "RouteLLM: strong calls vs quality", xLabel: "calls to \(report.strong) (%)", yLabel: "quality (%)")
        for tick in stride(from: 0, through: 100, by: 20) {
            svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", frame.x(Double(tick)), height - margin + 16, tick))
        }
        let weak = report.singles[report.weak]!.mean * 100, strong = report.singles[report.strong]!.mean * 100
        svg.append(polyline([(frame.x(0), frame.y(weak)), (frame.x(100), frame.y(strong))], "#bbbbbb", dashed: true))
        svg.append(polyline(plot.optimalCurve.map { (frame.x($0.strongPercent), frame.y($0.qualityPercent)) }, "#f4a261", dashed: true))
        for router in routerNames {
            let curve = (plot.thresholdCurves[router] ?? []).sorted { $0.strongPercent < $1.strongPercent }
            svg.append(polyline(curve.map { (frame.x($0.strongPercent), frame.y($0.qualityPercent)) }, color(router)))
        }
        svg += frame.legend([("random (straight line)", "#bbbbbb"), ("optimal", "#f4a261")])
        return svg
    }

    private func polyline(_ points: [(Double, Double)], _ color: String, dashed: Bool = false) -> String {
        let path = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(path)\"/>"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// One panel's coordinate system, frame and legend.
    struct Frame {
        let left, width, height, margin: Double
        let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

        init(left: Double, width: Double, height: Double, margin: Double, x: ClosedRange<Double>, y: ClosedRange<Double>) {
            (self.left, self.width, self.height, self.margin, xRange, yRange) = (left, width, height, margin, x, y)
        }

        func x(_ value: Double) -> Double {
            left + margin + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - 2 * margin)
        }

        func y(_ value: Double) -> Double {
            height - margin - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - 2 * margin)
        }

        func axes(title: String, xLabel: String, yLabel: String) -> [String] {
            var svg = [
                "<text x=\"\(Int(left + width / 2))\" y=\"44\" text-anchor=\"middle\" font-size=\"13\">\(title)</text>",
                "<text x=\"\(Int(left + width / 2))\" y=\"\(Int(height - 18))\" text-anchor=\"middle\">\(xLabel)</text>",
                "<text x=\"\(Int(left + 16))\" y=\"\(Int(height / 2))\" transform=\"rotate(-90 \(Int(left + 16)) \(Int(height / 2)))\" text-anchor=\"middle\">\(yLabel)</text>",
                "<rect x=\"\(left + margin)\" y=\"\(margin)\" width=\"\(width - 2 * margin)\" height=\"\(height - 2 * margin)\" fill=\"none\" stroke=\"#888\"/>",
            ]
            for tick in 0...4 {
                let value = yRange.lowerBound + (yRange.upperBound - yRange.lowerBound) * Double(tick) / 4
                svg.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>", left + margin - 6, y(value) + 4, value))
            }
            return svg
        }

        func legend(_ entries: [(String, String)]) -> [String] {
            entries.enumerated().flatMap { i, entry -> [String] in
                let ly = margin + 14 + Double(i) * 15
                return ["<rect x=\"\(left + margin + 10)\" y=\"\(ly - 9)\" width=\"10\" height=\"10\" fill=\"\(entry.1)\"/>",
                        "<text x=\"\(left + margin + 25)\" y=\"\(ly)\">\(entry.0)</text>"]
            }
        }
    }
}
