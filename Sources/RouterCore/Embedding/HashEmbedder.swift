import Dispatch
import Foundation

/// The built-in embedder: word unigrams and bigrams plus character n-grams, hashed into a fixed
/// dimension with a sign bit (feature hashing), weighted by sublinear term frequency
/// (1 + ln tf) and L2-normalised.
///
/// Needs no files and gives the same vector for the same text on every run and machine: the hash
/// is FNV-1a over UTF-8 with a fixed seed per feature kind, never Swift's per-process `Hasher`.
public struct HashEmbedder: Sendable, Equatable {
    /// Settings that define the vector space; stored in a router file so routing embeds prompts
    /// exactly as training did.
    public struct Settings: Sendable, Equatable, Codable {
        public var dimension: Int
        /// Character n-gram lengths, taken inside words padded with boundary marks.
        public var charNGrams: ClosedRange<Int>
        /// Weight of a character n-gram relative to a word feature.
        public var charWeight: Float

        public init(dimension: Int = 384, charNGrams: ClosedRange<Int> = 3...5, charWeight: Float = 0.5) {
            self.dimension = dimension
            self.charNGrams = charNGrams
            self.charWeight = charWeight
        }
    }

    public let settings: Settings

    public init(settings: Settings = .init()) {
        precondition(settings.dimension > 0, "dimension must be positive")
        precondition(settings.charNGrams.lowerBound > 0, "n-gram lengths must be positive")
        self.settings = settings
    }

    /// The embedding of `text`: a unit vector, or the zero vector for text without words.
    public func embed(_ text: String) -> [Float] {
        let words = Self.words(of: text)
        var features: [(hash: UInt64, weight: Float)] = []
        features.reserveCapacity(words.count * 8)
        for (i, word) in words.enumerated() {
            features.append((Self.hash(word, seed: 0x7701), 1))
            if i > 0 { features.append((Self.hash(words[i - 1] + [0x20] + word, seed: 0xB16A), 1)) }
            let padded = [0x3C] + word + [0x3E]  // "<word>"
            for n in settings.charNGrams where n <= padded.count {
                for start in 0...(padded.count - n) {
                    features.append((Self.hash(padded[start..<start + n], seed: 0xC4A2 &+ UInt64(n)), settings.charWeight))
                }
            }
        }
        return vector(from: features)
    }

    /// Sums sublinear-tf weights of the features into signed buckets, then L2-normalises.
    private func vector(from features: [(hash: UInt64, weight: Float)]) -> [Float] {
        var vector = [Float](repeating: 0, count: settings.dimension)
        let sorted = features.sorted { $0.hash < $1.hash }
        var i = 0
        while i < sorted.count {
            var j = i
            while j < sorted.count && sorted[j].hash == sorted[i].hash { j += 1 }
            let hash = sorted[i].hash
            let tf = Float(j - i)
            let weight = sorted[i].weight * (1 + logf(tf))
            let bucket = Int(hash % UInt64(settings.dimension))
            vector[bucket] += (hash >> 63) == 0 ? weight : -weight
            i = j
        }
        Vectors.normalize(&vector)
        return vector
    }

    /// Lower-cased runs of letters and digits, as UTF-8 bytes.
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

    /// 64-bit FNV-1a of `bytes` from `seed`, finished with a SplitMix64 mix so every bit is used.
    static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (seed &* 0x100_0000_01B3)
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01B3
        }
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}

extension HashEmbedder {
    /// The embeddings of `texts` as matrix rows, computed on all cores.
    public func embedAll(_ texts: [String]) -> Matrix {
        let d = settings.dimension
        var matrix = Matrix(rows: texts.count, columns: d)
        matrix.storage.withUnsafeMutableBufferPointer { storage in
            nonisolated(unsafe) let output = storage
            DispatchQueue.concurrentPerform(iterations: texts.count) { i in
                let vector = embed(texts[i])
                for j in 0..<d { output[i * d + j] = vector[j] }
            }
        }
        return matrix
    }
}
