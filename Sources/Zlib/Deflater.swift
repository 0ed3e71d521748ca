import CZlib

/// A zlib compressor whose stream is kept and reset between messages, since setting up a stream
/// per message costs more than compressing a small one.
///
/// Not thread-safe: one per connection (or per file).
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
            stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The most bytes compressing `count` bytes can produce.
    public func bound(_ count: Int) -> Int { Int(deflateBound(stream, uLong(count))) }

    /// Compresses `input` as one complete stream into `output`, which must hold at least
    /// `bound(input.count)` bytes; returns the bytes written.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(output.count >= bound(input.count), "output smaller than deflateBound")
        deflateReset(stream)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = deflate(stream, Z_FINISH)
        // deflateBound guarantees a single call finishes.
        precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
        return output.count - Int(stream.pointee.avail_out)
    }

    /// The compressed stream of `input`.
    public func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bound(input.count)) { output, count in
            count = compress(input, into: UnsafeMutableRawBufferPointer(output))
        }
    }
}
