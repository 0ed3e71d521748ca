import Foundation
import RouterCore
import Wire
import Zlib

/// Reads and writes router files: "SYROUTER", then a zlib stream of a protobuf-c serialized
/// `switchyard.v1.RouterModelFile` (proto/switchyard/v1/router_model.proto).
public enum RouterFile {
    static let magic = Array("SYROUTER".utf8)
    /// The layout this build writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The most a router file may inflate to.
    static let maximumSize = 1 << 30

    /// The bytes of a router file for `model`.
    public static func encode(_ model: ClusterRouterModel, trainedOn: String = "") -> [UInt8] {
        var message = RouterModelFile()
        message.formatVersion = formatVersion
        message.version = model.version
        var embedder = EmbedderSettings()
        embedder.kind = model.embedder.kind
        embedder.dimension = UInt32(model.embedder.dimension)
        if let hash = model.embedder.hash {
            embedder.charNGramMin = UInt32(hash.charNGrams.lowerBound)
            embedder.charNGramMax = UInt32(hash.charNGrams.upperBound)
            embedder.charWeight = hash.charWeight
        }
        message.embedder = embedder
        message.models = zip(model.models, model.prices).map { name, price in
            RoutedModel(name: name, pricing: price.map {
                ModelPriceEntry(inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion, source: $0.source)
            })
        }
        message.clusters = UInt32(model.clusterCount)
        message.dimension = UInt32(model.dimension)
        message.centroids = model.centroids.storage
        message.clusterSizes = model.clusterSizes.map { UInt32($0) }
        message.performance = model.performance
        message.cost = model.cost
        message.topK = UInt32(model.topK)
        message.beta = model.beta
        message.trainedOn = trainedOn
        message.normalization = model.normalization.rawValue
        return magic + message.serializedBytes().withUnsafeBytes { Deflater(level: 6).compress($0) }
    }

    /// The model in router-file `bytes`; throws `RouterFileError` saying exactly what is wrong.
    public static func decode(_ bytes: [UInt8]) throws -> ClusterRouterModel {
        guard bytes.count >= magic.count, Array(bytes[..<magic.count]) == magic else {
            throw RouterFileError("not a Switchyard router file (it does not start with \"SYROUTER\")")
        }
        let inflated: [UInt8]
        do {
            inflated = try bytes[magic.count...].withUnsafeBytes { try Inflater().decompress($0, limit: maximumSize) }
        } catch {
            throw RouterFileError("corrupt or truncated: \(error)")
        }
        let message: RouterModelFile
        do {
            message = try RouterModelFile(serialized: inflated)
        } catch {
            throw RouterFileError("corrupt: the model does not decode as switchyard.v1.RouterModelFile")
        }
        guard message.formatVersion == formatVersion else {
            throw RouterFileError("format version \(message.formatVersion); this build reads version \(formatVersion)")
        }
        let k = Int(message.clusters), d = Int(message.dimension)
        guard message.centroids.count == k * d else {
            throw RouterFileError("\(message.centroids.count) centroid values, expected \(k) clusters x \(d) dimensions")
        }
        guard let embedder = message.embedder else { throw RouterFileError("no embedder settings") }
        var hash: HashEmbedder.Settings?
        if embedder.kind == "hash" {
            guard embedder.charNGramMin >= 1, embedder.charNGramMin <= embedder.charNGramMax else {
                throw RouterFileError("hash embedder n-gram range \(embedder.charNGramMin)...\(embedder.charNGramMax) is invalid")
            }
            hash = HashEmbedder.Settings(
                dimension: Int(embedder.dimension), charNGrams: Int(embedder.charNGramMin)...Int(embedder.charNGramMax),
                charWeight: embedder.charWeight)
        }
        guard let normalization = message.normalization.isEmpty ? .global : Normalization(rawValue: message.normalization) else {
            throw RouterFileError("unknown normalization \"\(message.normalization)\"")
        }
        let model = ClusterRouterModel(
            version: message.version,
            embedder: EmbedderSpec(kind: embedder.kind, dimension: Int(embedder.dimension), hash: hash),
            models: message.models.map(\.name),
            prices: message.models.map { entry in
                entry.pricing.map { ModelPrice(inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion, source: $0.source) }
            },
            centroids: Matrix(rows: k, columns: d, storage: message.centroids),
            clusterSizes: message.clusterSizes.map { Int($0) }, performance: message.performance, cost: message.cost,
            topK: Int(message.topK), beta: message.beta, normalization: normalization)
        let problems = model.problems()
        guard problems.isEmpty else { throw RouterFileError(problems.joined(separator: "; ")) }
        return model
    }

    /// Reads and checks the router file at `path`.
    public static func load(_ path: String) throws -> ClusterRouterModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw RouterFileError("\(path): cannot read the file") }
        do {
            return try decode([UInt8](data))
        } catch let error as RouterFileError {
            throw RouterFileError("\(path): \(error.reason)")
        }
    }

    /// Writes `model` to `path` atomically.
    public static func save(_ model: ClusterRouterModel, to path: String, trainedOn: String = "") throws {
        do {
            try Data(encode(model, trainedOn: trainedOn)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RouterFileError("\(path): cannot write: \(error.localizedDescription)")
        }
    }
}

/// A router file that cannot be used, and why.
public struct RouterFileError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "bad router file: \(reason)" }
}
