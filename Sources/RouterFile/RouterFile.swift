import Foundation
import RouterCore
import Wire
import Zlib

/// Reads and writes router files: "SYROUTER", then a zlib stream of a protobuf-c serialized
/// `switchyard.v1.RouterModelFile` (proto/switchyard/v1/router_model.proto). Version 2 holds a
/// bundle of routers; version 1 files (one cluster router) are still read.
public enum RouterFile {
    static let magic = Array("SYROUTER".utf8)
    /// The layout this build writes.
    public static let formatVersion: UInt32 = 2
    /// The most a router file may inflate to.
    static let maximumSize = 1 << 31 - 1

    /// The bytes of a router file for `bundle`.
    public static func encode(_ bundle: RouterBundle) -> [UInt8] {
        var message = RouterModelFile(
            formatVersion: formatVersion, version: bundle.version, embedder: EmbedderSettings(bundle.embedder),
            models: zip(bundle.models, bundle.prices).map { name, price in
                RoutedModel(name: name, pricing: price.map {
                    ModelPriceEntry(inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion, source: $0.source)
                })
            },
            dimension: UInt32(bundle.embedder.dimension), trainedOn: bundle.trainedOn, defaultRouter: bundle.defaultRouter)
        message.routers = bundle.entries.map(TrainedRouter.init)
        message.crossValidation = bundle.crossValidation.map {
            Wire.CrossValidationRow(spec: $0.spec, metric: $0.metric, mean: $0.mean, min: $0.min, max: $0.max)
        }
        return magic + message.serializedBytes().withUnsafeBytes { Deflater(level: 6).compress($0) }
    }

    /// The bundle in router-file `bytes`; throws `RouterFileError` saying exactly what is wrong.
    public static func decode(_ bytes: [UInt8]) throws -> RouterBundle {
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
        guard let settings = message.embedder else { throw RouterFileError("no embedder settings") }
        let embedder = try settings.spec()
        let models = message.models.map(\.name)
        var stored: [TrainedRouter]
        switch message.formatVersion {
        case 1: stored = [try TrainedRouter(formatVersion1: message)]
        case 2: stored = message.routers
        default: throw RouterFileError("format version \(message.formatVersion); this build reads versions 1 and 2")
        }
        do {
            let entries = try stored.map { try $0.entry(models: models, dimension: embedder.dimension) }
            return try RouterBundle(
                version: message.version, embedder: embedder, models: models,
                prices: message.models.map { entry in
                    entry.pricing.map { ModelPrice(inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion, source: $0.source) }
                },
                entries: entries, defaultRouter: message.formatVersion == 1 ? "cluster" : message.defaultRouter,
                crossValidation: message.crossValidation.map {
                    RouterCore.CrossValidationRow(spec: $0.spec, metric: $0.metric, mean: $0.mean, min: $0.min, max: $0.max)
                },
                trainedOn: message.trainedOn)
        } catch let error as RoutingError {
            throw RouterFileError("\(error)")
        }
    }

    /// Reads and checks the router file at `path`.
    public static func load(_ path: String) throws -> RouterBundle {
        guard let data = FileManager.default.contents(atPath: path) else { throw RouterFileError("\(path): cannot read the file") }
        do {
            return try decode([UInt8](data))
        } catch let error as RouterFileError {
            throw RouterFileError("\(path): \(error.reason)")
        }
    }

    /// Writes `bundle` to `path` atomically.
    public static func save(_ bundle: RouterBundle, to path: String) throws {
        do {
            try Data(encode(bundle)).write(to: URL(fileURLWithPath: path), options: .atomic)
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

extension EmbedderSettings {
    init(_ spec: EmbedderSpec) {
        self.init(
            kind: spec.kind, dimension: UInt32(spec.dimension),
            charNGramMin: UInt32(spec.hash?.charNGrams.lowerBound ?? 0), charNGramMax: UInt32(spec.hash?.charNGrams.upperBound ?? 0),
            charWeight: spec.hash?.charWeight ?? 0, version: spec.version ?? "")
    }

    func spec() throws -> EmbedderSpec {
        guard dimension > 0 else { throw RouterFileError("embedder dimension is 0") }
        guard kind == "hash" else { return EmbedderSpec(kind: kind, dimension: Int(dimension), version: version.isEmpty ? nil : version) }
        guard charNGramMin >= 1, charNGramMin <= charNGramMax else {
            throw RouterFileError("hash embedder n-gram range \(charNGramMin)...\(charNGramMax) is invalid")
        }
        return .hash(HashEmbedder.Settings(
            dimension: Int(dimension), charNGrams: Int(charNGramMin)...Int(charNGramMax), charWeight: charWeight))
    }
}

extension TrainedRouter {
    init(_ entry: RouterBundle.Entry) {
        let stored = entry.router.stored()
        self.init(
            name: entry.name, kind: stored.kind.rawValue, spec: entry.spec,
            tensors: stored.tensors.keys.sorted().map { key in
                let tensor = stored.tensors[key]!
                return Tensor(name: key, rows: UInt32(tensor.rows), columns: UInt32(tensor.columns), values: tensor.storage)
            },
            numbers: stored.numbers.keys.sorted().map { NamedNumber(name: $0, value: stored.numbers[$0]!) },
            texts: stored.texts.keys.sorted().map { NamedText(name: $0, value: stored.texts[$0]!) },
            calibration: entry.calibration?.quantiles ?? [], calibratedOn: entry.calibration?.source ?? "")
    }

    /// The router this message holds, checked against the file's models and embedder.
    func entry(models: [String], dimension: Int) throws -> RouterBundle.Entry {
        guard let kind = RouterKind(rawValue: kind) else {
            throw RouterFileError("router \(name) is of unknown kind \"\(self.kind)\"")
        }
        var tensors: [String: Matrix] = [:]
        for tensor in self.tensors {
            guard tensor.values.count == Int(tensor.rows) * Int(tensor.columns) else {
                throw RouterFileError("router \(name): tensor \(tensor.name) has \(tensor.values.count) values for \(tensor.rows)x\(tensor.columns)")
            }
            tensors[tensor.name] = Matrix(rows: Int(tensor.rows), columns: Int(tensor.columns), storage: tensor.values)
        }
        let stored = StoredRouter(
            name: name, kind: kind, models: models, tensors: tensors,
            numbers: Dictionary(numbers.map { ($0.name, $0.value) }) { $1 }, texts: Dictionary(texts.map { ($0.name, $0.value) }) { $1 })
        let router = try stored.router()
        if let width = stored.tensors["embeddings"]?.columns ?? stored.tensors["centroids"]?.columns, width != dimension {
            throw RouterFileError("router \(name) expects \(width)-dimensional embeddings, the embedder gives \(dimension)")
        }
        return RouterBundle.Entry(
            name: name, spec: spec.isEmpty ? kind.rawValue : spec, router: router,
            calibration: calibration.isEmpty ? nil : try Calibration(quantiles: calibration, source: calibratedOn))
    }

    /// The cluster router of a version 1 file.
    init(formatVersion1 message: RouterModelFile) throws {
        let k = Int(message.clusters), d = Int(message.dimension), m = message.models.count
        guard message.centroids.count == k * d else {
            throw RouterFileError("\(message.centroids.count) centroid values, expected \(k) clusters x \(d) dimensions")
        }
        guard message.performance.count == k * m, message.cost.count == k * m else {
            throw RouterFileError("performance and cost must have \(k) x \(m) values")
        }
        // Version 1 had no pair: the model with the best mean performance, and the cheapest other.
        let means = { (table: [Double], j: Int) in (0..<k).reduce(0.0) { $0 + table[$1 * m + j] } }
        let strong = (0..<m).max { means(message.performance, $0) < means(message.performance, $1) } ?? 0
        let weak = (0..<m).filter { $0 != strong }.min { means(message.cost, $0) < means(message.cost, $1) } ?? strong
        self.init(
            name: "cluster", kind: "cluster", spec: "cluster",
            tensors: [
                Tensor(name: "centroids", rows: UInt32(k), columns: UInt32(d), values: message.centroids),
                Tensor(name: "cluster_sizes", rows: 1, columns: UInt32(message.clusterSizes.count), values: message.clusterSizes.map(Float.init)),
                Tensor(name: "performance", rows: UInt32(k), columns: UInt32(m), values: message.performance.map(Float.init)),
                Tensor(name: "cost", rows: UInt32(k), columns: UInt32(m), values: message.cost.map(Float.init)),
            ],
            numbers: [
                NamedNumber(name: "top_k", value: Double(message.topK)), NamedNumber(name: "beta", value: message.beta),
                NamedNumber(name: "strong", value: Double(strong)), NamedNumber(name: "weak", value: Double(weak)),
            ],
            texts: [NamedText(name: "normalization", value: message.normalization.isEmpty ? "global" : message.normalization)])
    }
}
