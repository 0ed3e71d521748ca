import Datasets
import Wire

/// Recorded results, by prompt text: what each model scored on each prompt and its token counts.
/// Loaded once per set of files and shared by every replay upstream that names them.
public final class ReplayBook: Sendable {
    struct Entry: Sendable {
        var id: String
        /// Model -> score on [0, 1].
        var scores: [String: Double]
        var tokens: [String: DatasetLine.TokenCount]
    }

    let entries: [String: Entry]
    /// The files it was read from.
    public let files: [String]

    /// Reads `files` (the dataset format); a prompt in several files keeps its first record.
    public init(files: [String]) throws {
        var entries: [String: Entry] = [:]
        for file in files {
            for line in try DatasetFile.lines(file) where entries[line.prompt] == nil {
                let range = line.scoreRange ?? [0, 1]
                entries[line.prompt] = Entry(
                    id: line.id, scores: line.scores.mapValues { ($0 - range[0]) / (range[1] - range[0]) },
                    tokens: line.tokens ?? [:])
            }
        }
        self.entries = entries
        self.files = files
    }

    /// Prompts on record.
    public var count: Int { entries.count }
}

/// Answers from a `ReplayBook`: the model's recorded score for the prompt, after the configured
/// latency, so a whole cluster runs offline with real per-prompt quality and cost.
public struct ReplayUpstream: Upstream {
    public let configuration: UpstreamConfiguration
    let book: ReplayBook

    public init(_ configuration: UpstreamConfiguration, book: ReplayBook) {
        self.configuration = configuration
        self.book = book
    }

    var recordedModel: String { configuration.model ?? configuration.name }

    public func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer {
        let latency = Duration.nanoseconds(Int64(configuration.latencyMs * 1_000_000))
        if latency > .zero {
            try await Task.sleep(for: min(latency, timeout))
        } else {
            try Task.checkCancellation()  // no latency: no timer and no hop through the global executor
        }
        if latency > timeout {
            throw RPCError(.deadlineExceeded, "\(configuration.name) (replay, \(configuration.latencyMs) ms) did not answer within the timeout")
        }
        let model = recordedModel
        guard let entry = book.entries[prompt], let score = entry.scores[model] else {
            throw RPCError(.notFound, "\(configuration.name): no recorded answer for this prompt (a replay upstream answers only the prompts of its datasets)")
        }
        let tokens = entry.tokens[model]
        return UpstreamAnswer(
            text: "[replay] \(model) on \(entry.id): recorded score \(String(format: "%.4g", score))",
            inputTokens: tokens.map { UInt32($0.input.rounded()) } ?? UpstreamAnswer.estimatedTokens(prompt),
            outputTokens: tokens.map { UInt32($0.output.rounded()) } ?? 0,
            tokensEstimated: tokens?.estimated ?? true,
            recordedScore: score)
    }
}
