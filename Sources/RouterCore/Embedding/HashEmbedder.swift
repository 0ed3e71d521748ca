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
    ///
    /// Words come from one pass over the UTF-8 bytes (see `WordList`); each feature is hashed
    /// straight from its byte buffer into a `FeatureTable`, which then orders the features by hash,
    /// so the vector is bit for bit what sorting all features by hash gives.
    public func embed(_ text: String) -> [Float] {
        let words = WordList(text)
        var table = FeatureTable(dimension: settings.dimension, capacity: featureBound(words))
        let charWeight = settings.charWeight
        let lengths = settings.charNGrams
        let seeds = lengths.map { Self.fnvStart(seed: 0xC4A2 &+ UInt64($0)) }
        words.bytes.withUnsafeBufferPointer { bytes in
            var previous: UnsafeBufferPointer<UInt8>? = nil
            for range in words.ranges {
                let word = UnsafeBufferPointer(rebasing: bytes[range])
                table.add(Self.hash(word, seed: 0x7701), weight: 1)
                if let previous {  // "previous word"
                    var h = Self.fnvStart(seed: 0xB16A)
                    for byte in previous { h = Self.fnv(h, byte) }
                    h = Self.fnv(h, 0x20)
                    for byte in word { h = Self.fnv(h, byte) }
                    table.add(Self.finish(h), weight: 1)
                }
                previous = word
                let marked = UnsafeBufferPointer(rebasing: bytes[range.lowerBound - 1..<range.upperBound + 1])  // "<word>"
                for (n, start) in zip(lengths, seeds) where n <= marked.count {
                    switch n {  // the usual lengths with n known to the compiler: unrolled
                    case 3: Self.addNGrams(of: 3, in: marked, from: start, weight: charWeight, to: &table)
                    case 4: Self.addNGrams(of: 4, in: marked, from: start, weight: charWeight, to: &table)
                    case 5: Self.addNGrams(of: 5, in: marked, from: start, weight: charWeight, to: &table)
                    default: Self.addNGrams(of: n, in: marked, from: start, weight: charWeight, to: &table)
                    }
                }
            }
        }
        var vector = table.sums()
        Vectors.normalize(&vector)
        return vector
    }

    /// Adds every `n`-byte run of `bytes` as a feature, hashed from `start` (an FNV state).
    @inline(__always) private static func addNGrams(
        of n: Int, in bytes: UnsafeBufferPointer<UInt8>, from start: UInt64, weight: Float, to table: inout FeatureTable
    ) {
        for first in 0...(bytes.count - n) {
            var h = start
            for i in first..<first + n { h = fnv(h, bytes[i]) }
            table.add(finish(h), weight: weight)
        }
    }

    /// At most how many features `words` make (the table's capacity): a word, a bigram, and for
    /// each n-gram length at most as many n-grams as the marked word has bytes.
    private func featureBound(_ words: WordList) -> Int {
        let lengths = settings.charNGrams.count
        return words.ranges.count * (2 + 2 * lengths) + words.letters * lengths
    }

    /// 64-bit FNV-1a of `bytes` from `seed`, finished with a SplitMix64 mix so every bit is used.
    static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes, seed: UInt64) -> UInt64 {
        var h = fnvStart(seed: seed)
        for byte in bytes { h = fnv(h, byte) }
        return finish(h)
    }

    @inline(__always) static func fnvStart(seed: UInt64) -> UInt64 { 0xCBF2_9CE4_8422_2325 ^ (seed &* 0x100_0000_01B3) }

    @inline(__always) static func fnv(_ h: UInt64, _ byte: UInt8) -> UInt64 { (h ^ UInt64(byte)) &* 0x100_0000_01B3 }

    @inline(__always) static func finish(_ h: UInt64) -> UInt64 {
        let a = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        let b = (a ^ (a >> 27)) &* 0x94D0_49BB_1331_11EB
        return b ^ (b >> 31)
    }
}

/// Features as they are hashed. `sums` orders them by hash with two counting-sort passes on the
/// hash's top 16 bits and an insertion pass for the few that share them, then adds every distinct
/// feature once, with its term frequency, to its bucket (`hash % dimension`): each bucket's sum in
/// ascending hash order, bit for bit what sorting all features by hash gives. No step branches on
/// the hashes' values except the rare equal top bits, which keeps a CPU's branch predictor right.
private struct FeatureTable: ~Copyable {
    private struct Entry {
        var hash: UInt64
        var weight: Float
    }

    private let modulo: FastModulo
    private let dimension: Int
    /// Features in the order they were added, and room for as many more (the sort's other half).
    private let entries: UnsafeMutableBufferPointer<Entry>
    private let capacity: Int
    /// How many hashes have each value of the top byte (first 256) and of the next byte.
    private let digitCounts: UnsafeMutableBufferPointer<Int32>
    private var used = 0

    init(dimension: Int, capacity: Int) {
        modulo = FastModulo(dimension)
        self.dimension = dimension
        self.capacity = max(capacity, 1)
        entries = .allocate(capacity: 2 * self.capacity)
        digitCounts = .allocate(capacity: 512)
        digitCounts.initialize(repeating: 0)
    }

    deinit {
        entries.deallocate()
        digitCounts.deallocate()
    }

    /// Counts a feature (repeats are merged when the sums are taken).
    @inline(__always) mutating func add(_ hash: UInt64, weight: Float) {
        precondition(used < capacity, "more features than counted")
        entries.initializeElement(at: used, to: Entry(hash: hash, weight: weight))
        digitCounts[Int(hash >> 56)] &+= 1
        digitCounts[256 + Int((hash >> 48) & 0xFF)] &+= 1
        used += 1
    }

    /// Each bucket's signed sum of sublinear-tf weights (1 + ln tf), added in ascending hash order;
    /// a repeated feature keeps the weight it was first added with.
    consuming func sums() -> [Float] {
        let added = UnsafeMutableBufferPointer(rebasing: entries[0..<used])
        let other = UnsafeMutableBufferPointer(rebasing: entries[capacity..<capacity + used])
        Self.place(added, into: other, byDigitAt: 48, counts: UnsafeMutableBufferPointer(rebasing: digitCounts[256..<512]))
        Self.place(other, into: added, byDigitAt: 56, counts: UnsafeMutableBufferPointer(rebasing: digitCounts[0..<256]))
        Self.finishSortByHash(added)
        var sums = [Float](repeating: 0, count: dimension)
        sums.withUnsafeMutableBufferPointer { sums in
            Self.smallCountTF.withUnsafeBufferPointer { tf in
                // Every entry adds to its bucket: the last of a run of equal hashes (one feature
                // seen tf times) its weight times 1 + ln tf, the others 0, which leaves a sum as it
                // was (sums never hold -0). Selecting instead of branching keeps the loop free of
                // mispredictions where repeats are common.
                var runStart = 0
                for i in 0..<added.count {
                    let entry = added[i]
                    if i > 0 && added[i - 1].hash != entry.hash { runStart = i }
                    let runEnds = i + 1 == added.count || added[i + 1].hash != entry.hash
                    let count = i &- runStart &+ 1
                    let factor = count < tf.count ? tf[count] : 1 + logf(Float(count))
                    let weight = added[runStart].weight * factor
                    let signed = Float(bitPattern: weight.bitPattern ^ UInt32(truncatingIfNeeded: entry.hash >> 63) << 31)  // top bit set: -weight
                    sums[modulo.remainder(entry.hash)] += runEnds ? signed : 0
                }
            }
        }
        return sums
    }

    /// 1 + ln tf for the term frequencies a prompt usually repeats a feature (index 0 unused; 1 + ln 1 is 1).
    private static let smallCountTF: [Float] = (0..<64).map { 1 + logf(Float($0)) }

    /// Copies `source` into `destination` ordered by the byte of the hash at bit `shift`, keeping
    /// the order of entries with equal bytes (one counting-sort pass); `counts` holds how many
    /// hashes have each byte value and is used up.
    private static func place(
        _ source: UnsafeMutableBufferPointer<Entry>, into destination: UnsafeMutableBufferPointer<Entry>,
        byDigitAt shift: UInt64, counts: UnsafeMutableBufferPointer<Int32>
    ) {
        var total: Int32 = 0
        for digit in 0..<256 {
            let count = counts[digit]
            counts[digit] = total
            total &+= count
        }
        for entry in source {
            let digit = Int((entry.hash >> shift) & 0xFF)
            let slot = Int(counts[digit])
            destination.initializeElement(at: slot, to: entry)
            counts[digit] = Int32(slot + 1)
        }
    }

    /// Sorts `entries`, already ordered by the hash's top 16 bits, by the whole hash, keeping equal
    /// hashes in the order they came: an insertion sort in which an entry rarely moves at all.
    private static func finishSortByHash(_ entries: UnsafeMutableBufferPointer<Entry>) {
        guard entries.count > 1 else { return }
        for i in 1..<entries.count where entries[i - 1].hash > entries[i].hash {
            let entry = entries[i]
            var j = i
            repeat {
                entries[j] = entries[j - 1]
                j -= 1
            } while j > 0 && entries[j - 1].hash > entry.hash
            entries[j] = entry
        }
    }
}

/// `x % divisor` for a divisor fixed in advance, by one multiply-high and one multiply instead of
/// a division (Granlund and Montgomery, "Division by invariant integers using multiplication",
/// 1994, figure 4.1): exact for every 64-bit `x`.
struct FastModulo {
    private let divisor: UInt64
    private let magic: UInt64
    private let firstShift: UInt64
    private let secondShift: UInt64

    init(_ divisor: Int) {
        precondition(divisor > 0)
        let d = UInt64(divisor)
        let log = d == 1 ? 0 : UInt64(64 - (d - 1).leadingZeroBitCount)  // ceil(log2 d)
        self.divisor = d
        magic = UInt64(truncatingIfNeeded: ((UInt128(1) << 64) * ((UInt128(1) << log) - UInt128(d))) / UInt128(d) + 1)
        firstShift = min(log, 1)
        secondShift = log == 0 ? 0 : log - 1
    }

    @inline(__always) func remainder(_ x: UInt64) -> Int {
        let high = x.multipliedFullWidth(by: magic).high
        let quotient = (high &+ ((x &- high) &>> firstShift)) &>> secondShift  // both shifts below 64
        return Int(truncatingIfNeeded: x &- quotient &* divisor)
    }
}

/// The words of a text: lower-cased runs of letters and digits, as UTF-8 bytes in one buffer,
/// each word between the marks "<" and ">" that its character n-grams start and end with.
struct WordList {
    /// The marked words, one after another (and unused room after them).
    let bytes: [UInt8]
    /// Each word's range in `bytes`, without its marks.
    let ranges: [Range<Int>]
    /// The bytes of all words together, without marks.
    var letters: Int { (ranges.last.map { $0.upperBound + 1 } ?? 0) - 2 * ranges.count }

    init(_ text: String) {
        var text = text
        var writer = WordWriter(capacity: 3 * text.utf8.count + 2)  // every byte a one-letter word
        text.withUTF8 { writer.split($0) }
        (bytes, ranges) = writer.finish()
    }
}

/// Writes the words of UTF-8 text, marked, into a buffer it grows when lower-casing lengthens them.
private struct WordWriter: ~Copyable {
    private var buffer: UnsafeMutableBufferPointer<UInt8>
    private var count = 0
    /// Where the word being written starts, or -1 between words.
    private var wordStart = -1
    private var ranges: [Range<Int>] = []

    init(capacity: Int) {
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Words as Swift's characters define them: a character whose first scalar is alphabetic or
    /// numeric continues a word, any other ends it, after lower-casing by Unicode's rules. Two
    /// ASCII bytes in a row (but CR LF, both separators) always have a character boundary between
    /// them, so ASCII is split byte by byte and only the stretches around other bytes go through
    /// `String`'s characters.
    mutating func split(_ utf8: UnsafeBufferPointer<UInt8>) {
        var i = 0
        while i < utf8.count {
            let asciiEnd = Self.asciiStretchEnd(utf8, from: i)
            Self.asciiWordBytes.withUnsafeBufferPointer { wordBytes in
                for byte in utf8[i..<asciiEnd] {
                    let folded = wordBytes[Int(byte)]
                    if folded != 0 { append(folded) } else { endWord() }
                }
            }
            i = asciiEnd
            guard i < utf8.count else { break }
            var end = i + 1  // up to the next two ASCII bytes in a row
            while end < utf8.count && !(utf8[end - 1] < 0x80 && utf8[end] < 0x80) { end += 1 }
            let lowered = String(decoding: UnsafeBufferPointer(rebasing: utf8[i..<end]), as: UTF8.self).lowercased()
            reserve(3 * (lowered.utf8.count + utf8.count - end))
            for character in lowered {
                if character.isLetter || character.isNumber {
                    for byte in character.utf8 { append(byte) }
                } else {
                    endWord()
                }
            }
            i = end
        }
        endWord()
    }

    /// Where the ASCII bytes from `start` that have an ASCII byte (or the end) after them end.
    private static func asciiStretchEnd(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var j = start
        while j + 8 <= utf8.count  // eight bytes at a time while none has its top bit set
            && UnsafeRawPointer(utf8.baseAddress! + j).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            j += 8
        }
        while j < utf8.count && utf8[j] < 0x80 { j += 1 }
        return j == utf8.count ? j : max(j - 1, start)
    }

    /// Each ASCII byte lower-cased if it is a letter or digit, 0 if it separates words.
    private static let asciiWordBytes: [UInt8] = (0..<128).map { (byte: UInt8) in
        switch byte {
        case 0x61...0x7A, 0x30...0x39: byte
        case 0x41...0x5A: byte | 0x20
        default: 0
        }
    }

    /// The bytes written and each word's range, marks excluded.
    consuming func finish() -> (bytes: [UInt8], ranges: [Range<Int>]) {
        (Array(UnsafeBufferPointer(rebasing: buffer[0..<count])), ranges)
    }

    /// Appends a byte of a word, opening the word with its mark if it is the first. The buffer
    /// has room for three bytes for every byte of text still to come (a one-byte word, marked).
    @inline(__always) private mutating func append(_ byte: UInt8) {
        if wordStart < 0 {
            buffer[count] = 0x3C  // "<"
            count += 1
            wordStart = count
        }
        buffer[count] = byte
        count += 1
    }

    @inline(__always) private mutating func endWord() {
        guard wordStart >= 0 else { return }
        ranges.append(wordStart..<count)
        buffer[count] = 0x3E  // ">"
        count += 1
        wordStart = -1
    }

    /// Makes room for `bytes` more: the rest of the text once lower-casing made it longer.
    private mutating func reserve(_ bytes: Int) {
        guard count + bytes > buffer.count else { return }
        let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2 * (count + bytes))
        _ = larger.initialize(fromContentsOf: buffer[0..<count])
        buffer.deallocate()
        buffer = larger
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
