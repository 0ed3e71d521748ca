import Foundation

/// The BERT tokenizer sentence-transformers runs for an uncased vocabulary (HuggingFace's fast
/// `BertTokenizer`: the `tokenizers` BertNormalizer and BertPreTokenizer), reproduced: drop
/// control characters and U+FFFD, whitespace to spaces, spaces around CJK ideographs, strip
/// accents (NFD, drop non-spacing marks), lower-case, split on whitespace and punctuation; then
/// greedy longest-match-first WordPiece with "##" continuations ([UNK] for a word it cannot cover
/// or of over 100 characters), between [CLS] and [SEP], truncated to `maxLength` tokens in all.
///
/// Works on Unicode scalars, as the Rust tokenizer works on chars.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let maxLength: Int
    let unknown: Int32, classify: Int32, separator: Int32
    static let maxCharactersPerWord = 100

    /// The vocabulary in `vocab.txt` order (the id of a token is its line number).
    public init(vocabulary lines: [String], maxLength: Int = 256) throws {
        var vocabulary: [String: Int32] = [:]
        for (index, token) in lines.enumerated() where vocabulary[token] == nil { vocabulary[token] = Int32(index) }
        guard let unknown = vocabulary["[UNK]"], let classify = vocabulary["[CLS]"], let separator = vocabulary["[SEP]"] else {
            throw MiniLMError.badVocabulary("vocab.txt lacks [UNK], [CLS] or [SEP]")
        }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        self.unknown = unknown
        self.classify = classify
        self.separator = separator
    }

    /// Reads `vocab.txt` (one token per line).
    public init(vocabularyFile url: URL, maxLength: Int = 256) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw MiniLMError.missingFile(url.path) }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }, maxLength: maxLength)
    }

    /// The token ids of `text` with [CLS] and [SEP], and whether it was cut to `maxLength`.
    public func encode(_ text: String) -> (ids: [Int32], truncated: Bool) {
        var ids = [classify]
        var truncated = false
        outer: for word in basicTokens(text) {
            for id in wordPieces(word) {
                if ids.count == maxLength - 1 {
                    truncated = true
                    break outer
                }
                ids.append(id)
            }
        }
        ids.append(separator)
        return (ids, truncated)
    }

    /// The normalized text's words and punctuation marks.
    func basicTokens(_ text: String) -> [[Unicode.Scalar]] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let stripped = String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .nonspacingMark
        }
        let normalized = String(String.UnicodeScalarView(stripped)).lowercased()
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalized.unicodeScalars {
            if Self.isWhitespace(scalar) || Self.isPunctuation(scalar) {
                if !current.isEmpty { words.append(current) }
                current = []
                if !Self.isWhitespace(scalar) { words.append([scalar]) }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// WordPiece ids of one word.
    func wordPieces(_ word: [Unicode.Scalar]) -> [Int32] {
        guard word.count <= Self.maxCharactersPerWord else { return [unknown] }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var piece = String(String.UnicodeScalarView(word[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknown] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    /// The tokenizer's whitespace: Unicode's White_Space property (Rust's `char::is_whitespace`).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

    /// BERT's control characters: categories C*, except tab, newline and carriage return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// BERT's punctuation: ASCII non-alphanumeric printables, and categories P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// BERT's Chinese characters: the CJK Unified Ideographs blocks.
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
