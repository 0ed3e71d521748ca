import ArgumentParser
import Datasets
import Foundation
import Store
import Wire

/// `switchyard outcomes`: how routing does on a gateway's own traffic, read from its outcome store.
struct OutcomesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outcomes", abstract: "Summarise or export the gateway's answers and their feedback.",
        subcommands: [Summary.self, Export.self])

    /// Which store and which span of records.
    struct Selection: ParsableArguments {
        @Option(help: "The gateway's store: sqlite:PATH or postgres://user@host/db (as its --store).")
        var store: String

        @Option(help: "Only records of the last span, e.g. 90m, 24h, 7d (default: all).")
        var since: String?

        func validate() throws {
            do { _ = try StoreLocation(parsing: store) } catch { throw ValidationError("--store: \(error.message)") }
            if let since, Self.milliseconds(since) == nil { throw ValidationError("--since must be a number with m, h or d, e.g. 24h") }
        }

        /// Every selected record with its feedback, oldest first, in batches.
        func read(_ body: ([StoredOutcome]) throws -> Void) throws {
            let reader = try OutcomeReader(StoreLocation(parsing: store))
            let from = since.flatMap(Self.milliseconds).map { OutcomeRecord.nowMs() - $0 } ?? .min
            try reader.outcomes(fromMs: from, body)
        }

        static func milliseconds(_ span: String) -> Int64? {
            let units: [Character: Double] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
            guard let unit = span.last.flatMap({ units[$0] }), let count = Double(span.dropLast()), count > 0 else { return nil }
            return Int64(count * unit)
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answers, failures, fallbacks, cost, latency and scores per model and per API key.")

        @OptionGroup var selection: Selection

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        func run() throws {
            var summary = OutcomeSummary()
            try selection.read { for outcome in $0 { summary.add(outcome) } }
            if json {
                let object: [String: Any] = [
                    "total": Self.object(summary.total),
                    "models": summary.models.mapValues(Self.object),
                    "keys": summary.keys.mapValues(Self.object),
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            guard let first = summary.firstMs, let last = summary.lastMs else {
                print("no records in \(selection.store)")
                return
            }
            let span = "\(Self.date(first)) to \(Self.date(last))"
            print("\(summary.total.requests) requests, \(summary.total.answers) answered, $\(Self.money(summary.total.costUSD)); \(span)")
            if summary.total.explored > 0 {
                print("\(summary.total.explored) answers explored (a learned router's Thompson draw chose them), $\(Self.money(summary.total.exploredUSD))")
            }
            print("\nper model")
            Self.table(summary.models, total: summary.total.answers, first: "model")
            print("\nper API key")
            Self.table(summary.keys, total: summary.total.requests, first: "key")
        }

        static func table(_ rows: [String: OutcomeSummary.Row], total: Int, first: String) {
            let header = [first, "answers", "share", "failed", "fallbacks", "cost $", "p50 ms", "p90 ms", "ttft p50", "rated", "score", "judged", "grade"]
            var lines = [header]
            for (name, row) in rows.sorted(by: { $0.value.answers > $1.value.answers || ($0.value.answers == $1.value.answers && $0.key < $1.key) }) {
                lines.append([
                    name, "\(row.answers)", String(format: "%.1f%%", 100 * Double(row.answers) / Double(max(total, 1))), "\(row.failures)",
                    "\(row.fallbacks)", money(row.costUSD), number(row.latencyMs(0.5)), number(row.latencyMs(0.9)), number(row.firstTokenMs(0.5)),
                    "\(row.rated)", row.meanScore.map { String(format: "%.3f", $0) } ?? "-", "\(row.judged)",
                    row.meanJudged.map { String(format: "%.3f", $0) } ?? "-",
                ])
            }
            let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
            for line in lines {
                print(line.enumerated().map { column, cell in
                    column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[column] - cell.count) + cell
                }.joined(separator: "  "))
            }
        }

        static func object(_ row: OutcomeSummary.Row) -> [String: Any] {
            var object: [String: Any] = [
                "requests": row.requests, "answers": row.answers, "failures": row.failures, "fallbacks": row.fallbacks,
                "cost_usd": row.costUSD, "rated": row.rated, "judged": row.judged, "explored": row.explored,
                "explored_cost_usd": row.exploredUSD,
            ]
            object["mean_score"] = row.meanScore
            object["mean_judge_grade"] = row.meanJudged
            object["latency_p50_ms"] = row.latencyMs(0.5)
            object["latency_p90_ms"] = row.latencyMs(0.9)
            object["first_token_p50_ms"] = row.firstTokenMs(0.5)
            return object
        }

        static func money(_ dollars: Double) -> String { String(format: "%.6f", dollars) }
        static func number(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        static func date(_ ms: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write records and their feedback as JSONL in the dataset format (train on it with --scores observed).",
            discussion: """
                One line per answer: id, prompt (when the gateway kept the text) or embedding (its default), \
                dataset "traffic", scores {model: score} (the application's score, else the judge's; empty when \
                unrated), cost_usd and tokens of the model that answered, and the record itself: created_ms, \
                key, router, router_version, status, latency_ms, first_token_ms, candidates, attempts, feedback. \
                `switchyard train --scores observed --router cluster --embedder <the router's> --data FILE` \
                retrains on it (with --rated).
                """)

        @OptionGroup var selection: Selection

        @Option(help: "The file to write (.jsonl, or .jsonl.gz); - for standard output.")
        var out = "-"

        @Flag(help: "Only answers with a score (what training uses).")
        var rated = false

        func run() throws {
            var text = ""
            var written = 0
            try selection.read { batch in
                for outcome in batch {
                    guard let line = Self.line(outcome, ratedOnly: rated) else { continue }
                    text += String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
                    text += "\n"
                    written += 1
                }
            }
            if out == "-" {
                FileHandle.standardOutput.write(Data(text.utf8))
            } else {
                try TextFile.write(text, to: out)
                stderr("wrote \(written) answers to \(out)")
            }
        }

        /// The dataset line of `outcome`; nil when `ratedOnly` and it has no score (or no answer).
        static func line(_ outcome: StoredOutcome, ratedOnly: Bool) -> [String: Any]? {
            let record = outcome.record
            let score = outcome.feedback.first(where: { $0.source == .user })?.score ?? outcome.feedback.first(where: { $0.source == .judge })?.score
            let answered = record.model != nil && record.status == 0
            if ratedOnly, score == nil || !answered { return nil }
            var line: [String: Any] = [
                "id": record.id, "prompt": record.prompt ?? "", "dataset": "traffic", "created_ms": record.createdMs,
                "status": Int(record.status), "latency_ms": record.latencyMs, "streamed": record.streamed,
                "scores": [String: Double](),
                "candidates": record.candidates.map {
                    ["model": $0.model, "predicted_quality": $0.predictedQuality, "predicted_cost_usd": $0.predictedCostUSD, "score": $0.score]
                },
                "attempts": record.attempts.map { attempt -> [String: Any] in
                    var object: [String: Any] = ["model": attempt.model, "status": Int(attempt.status), "latency_ms": attempt.latencyMs]
                    object["error"] = attempt.error
                    return object
                },
                "feedback": outcome.feedback.map { feedback -> [String: Any] in
                    var object: [String: Any] = ["source": feedback.source.rawValue, "score": feedback.score, "created_ms": feedback.createdMs]
                    object["comment"] = feedback.comment
                    return object
                },
            ]
            line["key"] = record.key
            line["router"] = record.router
            line["router_version"] = record.routerVersion
            line["first_token_ms"] = record.firstTokenMs
            line["embedding"] = record.embedding.map { $0.map(Double.init) }
            if let model = record.model {
                line["cost_usd"] = [model: record.costUSD]
                line["tokens"] = [model: ["input": record.inputTokens, "output": record.outputTokens, "estimated": record.tokensEstimated]]
                if let score, answered { line["scores"] = [model: score] }
            }
            return line
        }
    }
}
