import NIOCore
import Wire

/// The frames a connection writes in one event-loop tick, gathered in one buffer and handed to
/// the channel at the flush: one allocation and one write per tick instead of one per frame
/// (pipelined requests and the answers that finish together are most of a busy connection's
/// frames).
struct OutboundBatch {
    private var buffer: ByteBuffer?

    /// Appends one frame `write` puts at the end of the batch; on a throw the batch is as it was.
    mutating func append(
        allocator: ByteBufferAllocator, _ write: (inout ByteBuffer) throws(WireError) -> Void
    ) throws(WireError) {
        if buffer == nil { buffer = allocator.buffer(capacity: 16 << 10) }
        try write(&buffer!)
    }

    /// The frames gathered since the last take, nil when there are none.
    mutating func take() -> ByteBuffer? {
        defer { buffer = nil }
        guard let buffer, buffer.readableBytes > 0 else { return nil }
        return buffer
    }
}
