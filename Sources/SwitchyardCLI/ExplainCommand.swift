import ArgumentParser
import Foundation
import UpstreamHTTP

/// `switchyard explain ID`: why a request went where it went, from the gateway's front door
/// (`GET /v1/decisions/{id}`): the candidates with their predicted quality, cost and utility, the
/// clusters that decided, the trade-off and filters, exploration, the upstream calls with their
/// errors, what it really cost and took, and its feedback.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain a routed request's decision (GET /v1/decisions/{id} on the gateway's front door).")

    @Argument(help: "The request id (x-switchyard-request-id, the chat completion's id).")
    var id: String

    @Option(help: "The gateway's OpenAI-compatible front door.")
    var url = "http://127.0.0.1:7480"

    @Option(help: "The key that made the request, or the gateway's admin token (default: $SWITCHYARD_API_KEY).")
    var key: String?

    @Flag(help: "Print the decision as the gateway answered it (JSON).")
    var json = false

    func run() async throws {
        let caller: HTTPCaller
        do { caller = try HTTPCaller(url: url) } catch { throw ValidationError("--url: \(error)") }
        let key = self.key ?? ProcessInfo.processInfo.environment["SWITCHYARD_API_KEY"]
        let reply = try await caller.get(
            "/v1/decisions/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)",
            headers: key.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: .seconds(10))
        let object = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        guard reply.status == 200, let decision = object else {
            let message = ((object?["error"] as? [String: Any])?["message"] as? String) ?? String(decoding: reply.body.prefix(300), as: UTF8.self)
            throw CommandFailure("\(url): \(reply.status): \(message)")
        }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: decision, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print(Self.describe(decision), terminator: "")
        }
    }

    /// The decision as text for a person.
    static func describe(_ d: [String: Any]) -> String {
        func number(_ value: Any?, _ format: String) -> String { (value as? Double).map { String(format: format, $0) } ?? "–" }
        var out = "request \(d["id"] as? String ?? "?")"
        if let ms = d["created_ms"] as? Int64 ?? (d["created_ms"] as? Int).map(Int64.init) {
            out += "  at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000)))"
        }
        if let key = d["key"] as? String { out += "  key \(key)" }
        out += "  status \(d["status"] as? String ?? "?")\n"
        if let trace = d["trace_id"] as? String { out += "trace     \(trace)\n" }
        if let router = d["router"] as? [String: Any] {
            out += "router    \(router["name"] as? String ?? "?") \(router["version"] as? String ?? "?")"
            if let replica = router["replica"] as? String { out += " on \(replica)" }
            if let fallback = router["embedding_fallback"] as? String { out += " (embedded by the fallback: \(fallback))" }
            out += "\n"
        } else {
            out += "router    none: the request named its model\n"
        }
        if let tradeoff = d["tradeoff"] as? [String: Any] {
            out += "trade-off \(tradeoff["asked"] as? String ?? "?")"
            if let alpha = tradeoff["alpha"] as? Double { out += ", alpha \(alpha)" }
            if let threshold = tradeoff["threshold"] as? Double {
                out += ", threshold \(number(threshold, "%.4f")), strong-win score \(number(tradeoff["strong_win_score"], "%.4f"))"
            }
            out += "\n"
        }
        if let clusters = d["clusters"] as? [[String: Any]], !clusters.isEmpty {
            out += "clusters  " + clusters.map {
                "\($0["cluster"] as? Int ?? -1) (weight \(number($0["weight"], "%.2f")), distance \(number($0["distance"], "%.3f")))"
            }.joined(separator: ", ") + "\n"
        }
        if let filters = d["filters"] as? [String: Any] {
            let allowed = (filters["allowed_models"] as? [String]) ?? []
            let dropped = (filters["dropped_for_budget"] as? [String]) ?? []
            out += "filters   allowed: \(allowed.isEmpty ? "all" : allowed.joined(separator: ", "))"
            out += "; max latency: \(filters["max_latency_ms"].map { "\($0) ms" } ?? "none")"
            out += "; key's budget left: \(filters["budget_left_usd"].map { "$\(number($0, "%.6f"))" } ?? "no budget")"
            if !dropped.isEmpty { out += "; dropped for the budget: \(dropped.joined(separator: ", "))" }
            out += "\n"
        }
        if let exploration = d["exploration"] as? [String: Any] {
            out += "explore   \(exploration["why"] as? String ?? ((exploration["explored"] as? Bool ?? false) ? "explored" : "not explored"))\n"
        }
        let candidates = d["candidates"] as? [[String: Any]] ?? []
        if !candidates.isEmpty {
            out += "\n  rank  model                                     quality    cost $       utility\n"
            for c in candidates {
                let marks = (c["answered"] as? Bool == true ? "answered" : c["tried"] as? Bool == true ? "tried" : "")
                let model = (c["model"] as? String ?? "?").padding(toLength: 40, withPad: " ", startingAt: 0)
                out += "  \(String(c["rank"] as? Int ?? 0).padding(toLength: 4, withPad: " ", startingAt: 0))  \(model)  "
                out += "\(number(c["predicted_quality"], "%.4f"))   \(number(c["predicted_cost_usd"], "%.8f"))   \(number(c["utility"], "%.4f"))  \(marks)\n"
            }
            out += "\n"
        }
        for a in d["attempts"] as? [[String: Any]] ?? [] {
            out += "call      \(a["model"] as? String ?? "?"): \(a["status"] as? String ?? "?") in \(number(a["latency_ms"], "%.1f")) ms"
            if let error = a["error"] as? String { out += ": \(error)" }
            out += "\n"
        }
        if let answer = d["answer"] as? [String: Any] {
            out += "answer    \(answer["model"] as? String ?? "none"): $\(number(answer["cost_usd"], "%.8f")), "
            out += "\(answer["input_tokens"] as? Int ?? 0) + \(answer["output_tokens"] as? Int ?? 0) tokens"
            if answer["tokens_estimated"] as? Bool == true { out += " (estimated)" }
            out += ", \(number(answer["latency_ms"], "%.1f")) ms"
            if let first = answer["first_token_ms"] as? Double { out += ", first token \(String(format: "%.1f", first)) ms" }
            out += "\n"
        }
        let feedback = d["feedback"] as? [[String: Any]] ?? []
        out += "feedback  " + (feedback.isEmpty ? "none" : feedback.map { f in
            "\(f["source"] as? String ?? "?") \(number(f["score"], "%.2f"))" + ((f["comment"] as? String).map { " (\"\($0)\")" } ?? "")
        }.joined(separator: ", ")) + "\n"
        return out
    }
}
