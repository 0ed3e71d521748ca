import Datasets
import Foundation
import Testing
@testable import RouterCore

/// The one-pass hash embedder gives, bit for bit, the vectors of the straightforward version it
/// replaced (kept here as the reference): trained routers keep their vector space.
@Suite struct HashEmbedderEquivalenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private struct Line: Decodable { var prompt: String }

    /// Every `stride`-th prompt of a bundled dataset file (only those lines are decoded).
    static func prompts(_ file: String, every stride: Int = 1) throws -> [String] {
        let lines = TextFile.lines(try TextFile.read(root.appendingPathComponent(file).path))
        return try Swift.stride(from: 0, to: lines.count, by: stride).map {
            try JSONDecoder().decode(Line.self, from: Data(lines[$0].utf8)).prompt
        }
    }

    @Test func sameVectorsAsTheReferenceOnTheBundledPrompts() throws {
        let prompts = try Self.prompts("data/routellm/mmlu.jsonl.gz", every: 20) + Self.prompts("data/routellm/gsm8k.jsonl.gz", every: 3)
            + Self.prompts("data/routellm/mt_bench.jsonl.gz") + Self.prompts("data/alpaca_eval2.jsonl.gz", every: 2)
        let embedder = HashEmbedder(), reference = ReferenceHashEmbedder()
        let different = prompts.filter { embedder.embed($0) != reference.embed($0) }
        #expect(prompts.count > 1500)
        #expect(different.isEmpty, "\(different.count) prompts differ, first: \(different.first ?? "")")
    }

    /// Chat-sized prompts (bundled prompts joined to 2-8 KB): thousands of features, many
    /// repeated, many sharing their hash's top bits.
    @Test func sameVectorsAsTheReferenceOnLongPrompts() throws {
        let prompts = try Self.prompts("data/routellm/mmlu.jsonl.gz", every: 50)
        let long = stride(from: 0, to: prompts.count - 40, by: 40).map { prompts[$0..<$0 + 10 + $0 % 30].joined(separator: "\n\n") }
        #expect(long.allSatisfy { $0.utf8.count > 2000 })
        let embedder = HashEmbedder(), reference = ReferenceHashEmbedder()
        #expect(long.filter { embedder.embed($0) != reference.embed($0) }.isEmpty)
    }

    @Test(arguments: [
        "", "   ", "ABC def", "Grüße aus Zürich — 東京", "e\u{301}te\u{301} cafe\u{301}", "ǅungla İstanbul ΣΊΣΥΦΟΣ",
        "x²+y² = 10½ ٣٤ ⅷ", "emoji 👩‍👩‍👧 mix 🇫🇷ok", "line\r\nbreak\ttab", "a", "ab", "a-b_c.d", "\u{FEFF}bom text",
        String(repeating: "long", count: 300), "ﬁne ﬂour straße",
        // Lower-casing makes these longer in UTF-8 (Ⱥ is 2 bytes, ⱥ 3): the word buffer grows.
        String(repeating: "Ⱥ", count: 500), String(repeating: "İx ", count: 200) + String(repeating: "a ", count: 300),
    ])
    func sameVectorsAsTheReferenceOnEdgeCases(_ text: String) {
        #expect(HashEmbedder().embed(text) == ReferenceHashEmbedder().embed(text))
        let small = HashEmbedder.Settings(dimension: 7, charNGrams: 1...2, charWeight: 0.25)
        #expect(HashEmbedder(settings: small).embed(text) == ReferenceHashEmbedder(settings: small).embed(text))
    }
}

/// The hash embedder as first written: every feature's bytes in an array of their own, all
/// features sorted by hash. Slow and obviously right.
struct ReferenceHashEmbedder {
    var settings = HashEmbedder.Settings()

    func embed(_ text: String) -> [Float] {
        let words = Self.words(of: text)
        var features: [(hash: UInt64, weight: Float)] = []
        for (i, word) in words.enumerated() {
            features.append((HashEmbedder.hash(word, seed: 0x7701), 1))
            if i > 0 { features.append((HashEmbedder.hash(words[i - 1] + [0x20] + word, seed: 0xB16A), 1)) }
            let padded = [0x3C] + word + [0x3E]
            for n in settings.charNGrams where n <= padded.count {
                for start in 0...(padded.count - n) {
                    features.append((HashEmbedder.hash(padded[start..<start + n], seed: 0xC4A2 &+ UInt64(n)), settings.charWeight))
                }
            }
        }
        var vector = [Float](repeating: 0, count: settings.dimension)
        let sorted = features.sorted { $0.hash < $1.hash }
        var i = 0
        while i < sorted.count {
            var j = i
            while j < sorted.count && sorted[j].hash == sorted[i].hash { j += 1 }
            let hash = sorted[i].hash
            let weight = sorted[i].weight * (1 + logf(Float(j - i)))
            vector[Int(hash % UInt64(settings.dimension))] += (hash >> 63) == 0 ? weight : -weight
            i = j
        }
        Vectors.normalize(&vector)
        return vector
    }

    static func words(of text: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(Array(current.utf8))
                current = ""
            }
        }
        if !current.isEmpty { words.append(Array(current.utf8)) }
        return words
    }
}
