#if canImport(Glibc)
import Glibc
#endif
import Store

/// Ids of answers: what `x-switchyard-request-id` carries, what the chat completion's `id` is,
/// and what feedback names. "chatcmpl-sy", then 7 base62 characters of the milliseconds since
/// 1970 and 15 random ones (89 bits), so they look like the ids OpenAI's SDKs expect, nobody
/// guesses another request's, and they sort by time: the store's index on them grows at its end
/// (random keys would dirty a different index page per answer).
public enum RequestID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func make(nowMs: Int64 = OutcomeRecord.nowMs()) -> String {
        var bytes = Array("chatcmpl-sy".utf8)
        bytes.reserveCapacity(33)
        // The time, most significant digit first (the alphabet is in ASCII order, so the ids
        // sort as the times do); 62^7 ms is 111 years.
        var time = UInt64(max(0, nowMs))
        var digits = [UInt8](repeating: alphabet[0], count: 7)
        for i in stride(from: 6, through: 0, by: -1) {
            digits[i] = alphabet[Int(time % 62)]
            time /= 62
        }
        bytes += digits
        // 16 random bytes in one call: 2 x 64 bits, 10 and 5 base62 characters (62^10 < 2^64).
        var random = (UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &random) { fillRandom($0) }
        for (var bits, count) in [(random.0, 10), (random.1, 5)] {
            for _ in 0..<count {
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
