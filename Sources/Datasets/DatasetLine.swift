/// One line of a Switchyard dataset (JSONL): a prompt and how each model did on it.
///
/// ```json
/// {"id": "gsm8k-0001", "prompt": "Janet's ducks lay 16 eggs...", "dataset": "gsm8k",
///  "score_range": [0, 1], "scores": {"gpt-4-1106-preview": 1, "mixtral-8x7b": 0},
///  "tokens": {"gpt-4-1106-preview": {"input": 61, "output": 140, "estimated": true}}}
/// ```
/// `id`, `prompt` and `scores` are required; `prompt` may be empty when `embedding` carries the
/// prompt's vector instead (exports of traffic recorded without its text). Cost per model comes
/// from `cost_usd` when given, otherwise from `tokens` times the price table. See
/// docs/dataset-format.md.
public struct DatasetLine: Codable, Sendable, Equatable {
    public var id: String
    public var prompt: String
    public var dataset: String?
    public var domain: String?
    /// The [low, high] of the scores on this line; [0, 1] when absent.
    public var scoreRange: [Double]?
    public var scores: [String: Double]
    public var costUSD: [String: Double]?
    public var tokens: [String: TokenCount]?
    /// The prompt's embedding, from the router that routed it (train with the same embedder).
    public var embedding: [Float]?

    /// Input and output tokens of one model's answer.
    public struct TokenCount: Codable, Sendable, Equatable {
        public var input: Double
        public var output: Double
        /// True when counted as characters / 4 rather than by a tokenizer.
        public var estimated: Bool?

        public init(input: Double, output: Double, estimated: Bool? = nil) {
            self.input = input
            self.output = output
            self.estimated = estimated
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, prompt, dataset, domain, scores, tokens, embedding
        case scoreRange = "score_range"
        case costUSD = "cost_usd"
    }

    public init(id: String, prompt: String, dataset: String? = nil, domain: String? = nil, scoreRange: [Double]? = nil,
                scores: [String: Double], costUSD: [String: Double]? = nil, tokens: [String: TokenCount]? = nil,
                embedding: [Float]? = nil) {
        self.id = id
        self.prompt = prompt
        self.dataset = dataset
        self.domain = domain
        self.scoreRange = scoreRange
        self.scores = scores
        self.costUSD = costUSD
        self.tokens = tokens
        self.embedding = embedding
    }
}
