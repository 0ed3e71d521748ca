import CZlib

/// Why compressed bytes could not be inflated.
public enum ZlibError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream inflates past the caller's limit.
    case tooLarge(limit: Int)
    /// The stream ends early.
    case truncated
    /// Bytes follow the end of the stream.
    case trailingBytes
    /// zlib rejected the stream.
    case corrupt(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "inflates past the maximum of \(limit) bytes"
        case .truncated: "zlib stream is truncated"
        case .trailingBytes: "trailing bytes after the zlib stream"
        case .corrupt(let reason): reason
        }
    }
}

/// A zlib decompressor with a reused stream and a cap on the output, so a small compressed input
/// cannot expand into unbounded memory.
///
/// Not thread-safe: one per connection (or per file).
public final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>

    /// - Parameter format: the stream's wrapper.
    public init(format: ZlibFormat = .zlib) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "inflateInit2 failed: \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The decompressed bytes of `input`, which must be one complete stream of at most `limit`
    /// bytes decompressed.
    public func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(ZlibError) -> [UInt8] {
        inflateReset(stream)
        var output = [UInt8](repeating: 0, count: min(max(input.count * 4, 256), limit + 1))
        var produced = 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while true {
            if produced == output.count {
                // Room for one byte past the limit tells "exactly at the limit" from "over it".
                output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
            }
            let room = output.count - produced
            let status = output.withUnsafeMutableBytes { out in
                stream.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(room)
                return inflate(stream, Z_NO_FLUSH)
            }
            produced += room - Int(stream.pointee.avail_out)
            if produced > limit { throw .tooLarge(limit: limit) }
            switch status {
            case Z_STREAM_END:
                guard stream.pointee.avail_in == 0 else { throw .trailingBytes }
                output.removeSubrange(produced...)
                return output
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                throw .truncated
            case Z_BUF_ERROR:
                continue
            default:
                throw .corrupt(stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)")
            }
        }
    }
}
