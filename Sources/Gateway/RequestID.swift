#if canImport(Glibc)
import Glibc
#endif

/// Ids of answers: what `x-switchyard-request-id` carries, what the chat completion's `id` is,
/// and what feedback names. "chatcmpl-sy" and 22 base62 characters (131 random bits), so they
/// look like the ids OpenAI's SDKs expect and nobody guesses another request's.
public enum RequestID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func make() -> String {
        // 24 random bytes (192 bits) in one call: 3 x 64 bits, each giving 10 base62 characters
        // (62^10 < 2^64), so the first 22 of the 30 are uniform.
        var random = (UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &random) { fillRandom($0) }
        var bytes = Array("chatcmpl-sy".utf8)
        bytes.reserveCapacity(bytes.count + 22)
        for var bits in [random.0, random.1, random.2] {
            for _ in 0..<10 where bytes.count < 33 {
                bytes.append(alphabet[Int(bits % 62)])
                bits /= 62
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Fills `buffer` with cryptographically secure random bytes in one call (glibc's
    /// arc4random_buf: the kernel's getrandom).
    private static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        arc4random_buf(buffer.baseAddress!, buffer.count)
    }

    /// Whether `text` could be an id this gateway made (what feedback is checked against first).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 33 && text.hasPrefix("chatcmpl-sy") && text.utf8.dropFirst(11).allSatisfy { alphabet.contains($0) }
    }
}
