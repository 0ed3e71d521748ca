import CZlib
import NIOCore

/// A zlib (RFC 1950) decompressor with a reused stream and a cap on the output, so a small
/// compressed frame cannot expand into unbounded memory.
///
/// Not thread-safe: one per connection.
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

    /// The decompressed bytes of `input`, which must be one complete zlib stream of at most
    /// `limit` bytes decompressed.
    public func decompress(_ input: ByteBuffer, limit: Int, allocator: ByteBufferAllocator = .init()) throws -> ByteBuffer {
        inflateReset(stream)
        var output = allocator.buffer(capacity: min(max(input.readableBytes * 4, 256), limit + 1))
        try input.withUnsafeReadableBytes { compressed in
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(compressed.count)
            while true {
                // Room for one byte past the limit tells "exactly at the limit" from "over it".
                let room = min(max(output.writableBytes, 4096), limit + 1 - output.readableBytes)
                var status: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(room)
                    status = inflate(stream, Z_NO_FLUSH)
                    return room - Int(stream.pointee.avail_out)
                }
                if output.readableBytes > limit {
                    throw WireError.badCompression("inflates past the maximum frame size of \(limit) bytes")
                }
                switch status {
                case Z_STREAM_END:
                    guard stream.pointee.avail_in == 0 else {
                        throw WireError.badCompression("trailing bytes after the zlib stream")
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    throw WireError.badCompression("zlib stream is truncated")
                case Z_BUF_ERROR:
                    continue
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw WireError.badCompression(reason)
                }
            }
        }
        return output
    }
}
