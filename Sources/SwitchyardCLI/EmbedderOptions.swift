import ArgumentParser
import RouterCore

/// How train, eval and calibrate embed prompts.
struct EmbedderOptions: ParsableArguments {
    @Option(help: "Hash embedder dimension.")
    var dimension = 384

    func validate() throws {
        if dimension < 8 { throw ValidationError("--dimension must be at least 8") }
    }

    /// The embedder's description for a router file.
    var spec: EmbedderSpec { .hash(HashEmbedder.Settings(dimension: dimension)) }

    /// The embeddings of `texts` as matrix rows.
    func embed(_ texts: [String]) throws -> Matrix {
        HashEmbedder(settings: HashEmbedder.Settings(dimension: dimension)).embedAll(texts)
    }

    /// `set` with its prompts embedded, for training and evaluation.
    func trainingData(_ set: CompleteSet) throws -> TrainingData {
        TrainingData(set: set, embeddings: try embed(set.records.map(\.prompt)))
    }
}
