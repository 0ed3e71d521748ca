/// What an upstream model answered.
public struct UpstreamAnswer: Sendable, Equatable {
    public var text: String
    public var inputTokens: UInt32
    public var outputTokens: UInt32
    /// True when the counts were estimated from characters (chars / 4).
    public var tokensEstimated: Bool
    /// Replay only: the recorded score of this answer on [0, 1].
    public var recordedScore: Double?

    public init(text: String, inputTokens: UInt32, outputTokens: UInt32, tokensEstimated: Bool, recordedScore: Double? = nil) {
        self.text = text
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tokensEstimated = tokensEstimated
        self.recordedScore = recordedScore
    }

    /// Tokens in `text` when the upstream does not say: characters / 4, at least 1.
    static func estimatedTokens(_ text: String) -> UInt32 { UInt32(clamping: max(1, text.utf8.count / 4)) }
}

/// A model the gateway can call. Failures are `RPCError`s: UNAVAILABLE (down, or an error
/// answer), DEADLINE_EXCEEDED (no answer in time), NOT_FOUND (replay has no record of the prompt).
public protocol Upstream: Sendable {
    var configuration: UpstreamConfiguration { get }
    func complete(_ prompt: String, maxTokens: UInt32, timeout: Duration) async throws -> UpstreamAnswer
    /// Answers an OpenAI chat request (the front door). Chat endpoints pass it on with only the
    /// model replaced; the default answers through `complete`. A request the upstream refuses as
    /// malformed is INVALID_ARGUMENT (not worth another model).
    func chat(_ request: ChatRequest, timeout: Duration) async throws -> ChatAnswer
    /// Answers an OpenAI chat request with `stream: true`: returns once the upstream has begun
    /// answering (failures before that are thrown as for `chat`, so the gateway can try another
    /// model); the events follow. The default streams `chat`'s whole answer.
    func chatStream(_ request: ChatRequest, timeout: Duration) async throws -> ChatEventStream
}
