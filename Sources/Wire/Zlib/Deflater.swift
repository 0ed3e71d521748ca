import CZlib
import NIOCore

/// A zlib (RFC 1950) compressor whose stream is kept and reset between messages, since setting up
/// a stream per message costs more than compressing a small one.
///
/// Not thread-safe: one per connection.
public final class Deflater {
    // zlib checks that the stream does not move, so it lives in its own allocation.
    private let stream: UnsafeMutablePointer<z_stream>

    /// - Parameters:
    ///   - level: 1 (fastest) to 9 (smallest); 6 is zlib's default.
    ///   - format: the stream's wrapper.
    public init(level: Int32 = 6, format: ZlibFormat = .zlib) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Appends the compressed form of `input` to `output`.
    public func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer) {
        deflateReset(stream)
        let bound = Int(deflateBound(stream, uLong(input.count)))
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(bound)
            let status = deflate(stream, Z_FINISH)
            // deflateBound guarantees a single call finishes.
            precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
            return bound - Int(stream.pointee.avail_out)
        }
    }
}
