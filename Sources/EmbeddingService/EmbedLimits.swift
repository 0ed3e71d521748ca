import Wire

/// What one Embed request may carry, and what is small enough to embed where it arrived.
public struct EmbedLimits: Sendable, Equatable {
    /// The most texts in one request.
    public var maxTexts: Int
    /// A batch of at most this many texts, of at most `inlineBytes` UTF-8 bytes in all, is
    /// embedded inline on the event loop by a local embedder (microseconds); larger work runs
    /// on a thread pool.
    public var inlineTexts: Int
    public var inlineBytes: Int
    /// The most UTF-8 bytes of one text (a prompt, not a document: the hash embedder reads all of
    /// it, MiniLM its first 256 tokens).
    public var maxTextBytes: Int

    public init(maxTexts: Int = 1024, inlineTexts: Int = 4, inlineBytes: Int = 8192, maxTextBytes: Int = 256 << 10) {
        self.maxTexts = maxTexts
        self.inlineTexts = inlineTexts
        self.inlineBytes = inlineBytes
        self.maxTextBytes = maxTextBytes
    }

    /// Throws INVALID_ARGUMENT naming the limit `texts` break.
    func check(_ texts: [String]) throws {
        guard !texts.isEmpty else { throw RPCError(.invalidArgument, "Embed needs at least one text") }
        guard texts.count <= maxTexts else {
            throw RPCError(.invalidArgument, "\(texts.count) texts exceed the batch limit of \(maxTexts)")
        }
        if let index = texts.firstIndex(where: { $0.utf8.count > maxTextBytes }) {
            throw RPCError(
                .invalidArgument, "text \(index) has \(texts[index].utf8.count) bytes, over the limit of \(maxTextBytes) bytes per text")
        }
    }

    /// Whether `texts` are small enough to embed inline.
    func isInline(_ texts: [String]) -> Bool {
        texts.count <= inlineTexts && texts.reduce(0) { $0 + $1.utf8.count } <= inlineBytes
    }
}
