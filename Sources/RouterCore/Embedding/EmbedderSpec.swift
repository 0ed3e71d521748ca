/// Which embedder produced a router's vectors, and its settings: routing must embed prompts
/// exactly as training did.
public struct EmbedderSpec: Sendable, Equatable, Codable {
    /// "hash" (built in), "minilm", or the name of a remote embedder.
    public var kind: String
    public var dimension: Int
    /// The hash embedder's settings when `kind` is "hash".
    public var hash: HashEmbedder.Settings?
    /// An external embedder's weights (e.g. "minilm-l6-v2@5f1c2a9d"), when known.
    public var version: String?

    public init(kind: String, dimension: Int, hash: HashEmbedder.Settings? = nil, version: String? = nil) {
        self.kind = kind
        self.dimension = dimension
        self.hash = hash
        self.version = version
    }

    /// The built-in hash embedder with `settings`.
    public static func hash(_ settings: HashEmbedder.Settings) -> EmbedderSpec {
        EmbedderSpec(kind: "hash", dimension: settings.dimension, hash: settings)
    }
}
