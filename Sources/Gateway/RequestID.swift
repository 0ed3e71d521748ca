/// Ids of answers: what `x-switchyard-request-id` carries, what the chat completion's `id` is,
/// and what feedback names. "chatcmpl-sy" and 22 base62 characters (131 random bits), so they
/// look like the ids OpenAI's SDKs expect and nobody guesses another request's.
public enum RequestID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Array("chatcmpl-sy".utf8)
        bytes.reserveCapacity(bytes.count + 22)
        var bits = generator.next() as UInt64, left = 10
        for _ in 0..<22 {
            if left == 0 { bits = generator.next(); left = 10 }
            bytes.append(alphabet[Int(bits % 62)])
            bits /= 62
            left -= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` could be an id this gateway made (what feedback is checked against first).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 33 && text.hasPrefix("chatcmpl-sy") && text.utf8.dropFirst(11).allSatisfy { alphabet.contains($0) }
    }
}
