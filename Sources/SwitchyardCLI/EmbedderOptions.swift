import ArgumentParser
import Foundation
import EmbeddingOptions
import MiniLM
import RouterCore

/// How train, eval, calibrate and embed turn prompts into vectors.
struct EmbedderOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case hash, minilm
    }

    @Option(help: "Prompt embedder: hash (built in, instant) or minilm (all-MiniLM-L6-v2, natively).")
    var embedder: Kind = .hash

    @Option(help: "hash: the vector dimension.")
    var dimension = 384

    @OptionGroup var minilm: MiniLMOptions

    @Option(help: "minilm: folder of cached prompt vectors, so a data set is embedded once (\"none\": no cache).")
    var embeddingCache = ".build/embedding-cache"

    func validate() throws {
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
    }

    /// The chosen embedder, loaded (MiniLM's weights are checked here).
    func load() throws -> OfflineEmbedder {
        switch embedder {
        case .hash:
            return OfflineEmbedder(hash: HashEmbedder(settings: .init(dimension: dimension)))
        case .minilm:
            let model = try minilm.load()
            let cache = embeddingCache == "none" ? nil : EmbeddingCache(folder: embeddingCache, version: model.version, dimension: MiniLMEmbedder.dimension)
            return OfflineEmbedder(minilm: model, cache: cache)
        }
    }
}

/// An embedder for offline work: whole data sets at once, cached where embedding is slow.
struct OfflineEmbedder {
    let spec: EmbedderSpec
    private let embed: ([String]) -> [[Float]]
    private let truncation: (String) -> (ids: [Int32], truncated: Bool)?

    init(hash: HashEmbedder) {
        spec = .hash(hash.settings)
        embed = { texts in
            let matrix = hash.embedAll(texts)
            return (0..<matrix.rows).map(matrix.row)
        }
        truncation = { _ in nil }
    }

    init(minilm: MiniLMEmbedder, cache: EmbeddingCache?) {
        spec = EmbedderSpec(kind: "minilm", dimension: MiniLMEmbedder.dimension, version: minilm.version)
        embed = { texts in
            guard let cache else { return minilm.embed(texts).vectors }
            return cache.vectors(texts) { missing in
                var vectors: [[Float]] = []
                let bar = ProgressBar(label: "minilm")
                for start in stride(from: 0, to: missing.count, by: 512) {
                    vectors += minilm.embed(Array(missing[start..<min(start + 512, missing.count)])).vectors
                    bar.update(vectors.count, missing.count)
                }
                if !missing.isEmpty { bar.finish() }
                return vectors
            }
        }
        truncation = { minilm.tokenizer.encode($0) }
    }

    /// The vectors of `texts` as matrix rows.
    func embedAll(_ texts: [String]) -> Matrix { Matrix(embed(texts), columns: spec.dimension) }

    /// `set` with its prompts embedded, for training and evaluation; a record that carries its
    /// embedding (traffic exports) keeps it, once its dimension is this embedder's.
    func trainingData(_ set: CompleteSet) throws -> TrainingData {
        let toEmbed = set.records.indices.filter { set.records[$0].embedding == nil }
        var vectors = [[Float]](repeating: [], count: set.count)
        for (i, vector) in zip(toEmbed, embed(toEmbed.map { set.records[$0].prompt })) { vectors[i] = vector }
        for (i, record) in set.records.enumerated() {
            guard let given = record.embedding else { continue }
            guard given.count == spec.dimension else {
                throw ValidationError(
                    "prompt \(record.id) carries an embedding of \(given.count) dimensions; this embedder (\(spec.kind)) makes "
                        + "\(spec.dimension): train with the embedder of the router that routed it")
            }
            vectors[i] = given
        }
        return TrainingData(set: set, embeddings: Matrix(vectors, columns: spec.dimension))
    }

    /// MiniLM's token ids of `text` and whether it was cut (nil for the hash embedder).
    func tokens(_ text: String) -> (ids: [Int32], truncated: Bool)? { truncation(text) }
}

/// Vectors of prompts already embedded, in a file per embedder version (records of an FNV-1a
/// hash of the text and its vector), so evaluating on MiniLM embeds a data set once.
final class EmbeddingCache {
    private let path: String
    private let dimension: Int
    private var known: [UInt64: [Float]] = [:]

    init(folder: String, version: String, dimension: Int) {
        self.dimension = dimension
        path = URL(fileURLWithPath: folder).appendingPathComponent("\(version.replacingOccurrences(of: "/", with: "_")).vectors").path
        let record = 8 + dimension * 4
        if let data = FileManager.default.contents(atPath: path) {
            data.withUnsafeBytes { raw in
                for start in stride(from: 0, to: raw.count - record + 1, by: record) {
                    let key = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                    known[key] = (0..<dimension).map { raw.loadUnaligned(fromByteOffset: start + 8 + $0 * 4, as: Float.self) }
                }
            }
        }
    }

    /// The vectors of `texts`, computing the ones not cached with `compute` and saving them.
    func vectors(_ texts: [String], compute: ([String]) -> [[Float]]) -> [[Float]] {
        let keys = texts.map(Self.key)
        var missing: [Int] = []
        var seen = Set<UInt64>()
        for (i, key) in keys.enumerated() where known[key] == nil && seen.insert(key).inserted { missing.append(i) }
        if !missing.isEmpty {
            let computed = compute(missing.map { texts[$0] })
            var data = Data()
            for (i, vector) in zip(missing, computed) {
                known[keys[i]] = vector
                withUnsafeBytes(of: keys[i]) { data.append(contentsOf: $0) }
                vector.withUnsafeBytes { data.append(contentsOf: $0) }
            }
            try? FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            if let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
                handle.seekToEndOfFile()
                handle.write(data)
                handle.closeFile()
            }
        }
        return keys.map { known[$0]! }
    }

    static func key(_ text: String) -> UInt64 { FNV1a.hash(text.utf8) }
}

extension OfflineEmbedder {
    /// The embedder a router file was trained with, loaded to embed as training did; throws
    /// when it cannot be (another MiniLM version, an external embedder).
    static func matching(_ spec: EmbedderSpec, minilm: MiniLMOptions) throws -> OfflineEmbedder {
        switch spec.kind {
        case "hash":
            return OfflineEmbedder(hash: HashEmbedder(settings: spec.hash ?? .init(dimension: spec.dimension)))
        case "minilm":
            let model = try minilm.load()
            if let version = spec.version, version != model.version {
                let precision = version.hasPrefix("minilm-l6-v2-int8@") ? "int8" : "fp32"
                throw CommandFailure("the router file was trained on \(version), the weights in \(model.directory.path) are \(model.version)"
                    + (version.split(separator: "@").last == model.version.split(separator: "@").last ? " (pass --precision \(precision))" : ""))
            }
            return OfflineEmbedder(minilm: model, cache: nil)
        default:
            throw CommandFailure("the router file uses the \(spec.kind) embedder; route through the router service and the embedding service")
        }
    }
}
