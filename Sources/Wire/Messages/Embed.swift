/// Texts to embed (proto: `switchyard.v1.EmbedRequest`).
public struct EmbedRequest: ProtoMessage, Equatable {
    public var texts: [String]

    public init(texts: [String] = []) { self.texts = texts }

    public static let descriptor = MessageDescriptor("switchyard.v1.EmbedRequest")
    public init(from r: ProtoReader) { texts = r.strings(1) }
    public func write(to w: ProtoWriter) { w.write(1, texts) }
}

/// One vector per text, in order (proto: `switchyard.v1.EmbedResponse`).
public struct EmbedResponse: ProtoMessage, Equatable {
    public var vectors: [[Float]]
    /// The embedder and its dimension, e.g. "hash-v1:384".
    public var embedder: String
    public var dimension: UInt32

    public init(vectors: [[Float]] = [], embedder: String = "", dimension: UInt32 = 0) {
        self.vectors = vectors
        self.embedder = embedder
        self.dimension = dimension
    }

    public static let descriptor = MessageDescriptor("switchyard.v1.EmbedResponse")

    public init(from r: ProtoReader) throws {
        vectors = try r.messages(1).map { (vector: VectorMessage) in vector.values }
        embedder = r.string(2)
        dimension = r.read(3)
    }

    public func write(to w: ProtoWriter) {
        w.write(1, vectors.map(VectorMessage.init(values:)))
        w.write(2, embedder)
        w.write(3, dimension)
    }
}

/// proto: `switchyard.v1.Vector`, a list of floats that can be repeated.
struct VectorMessage: ProtoMessage {
    var values: [Float]

    static let descriptor = MessageDescriptor("switchyard.v1.Vector")
    init(values: [Float]) { self.values = values }
    init(from r: ProtoReader) { values = r.repeated(1) }
    func write(to w: ProtoWriter) { w.write(1, values) }
}
