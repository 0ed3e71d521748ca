import NIOCore
import Zlib

/// Turns Envelopes into frames: serializes with protobuf-c straight after a reserved header, and
/// compresses payloads at or above the configured threshold when that makes them smaller.
///
/// One per connection (it keeps a zlib stream).
public struct EnvelopeFramer {
    private let configuration: WireConfiguration
    private var deflater: Deflater?

    public init(configuration: WireConfiguration = .init()) {
        self.configuration = configuration
    }

    /// The framed envelope. Throws `frameTooLarge` when the payload exceeds the maximum frame size,
    /// compressed or not: receivers cap what a frame may inflate to at the same maximum.
    public mutating func frame(_ envelope: Envelope, allocator: ByteBufferAllocator) throws(WireError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: FrameHeader.size + 64 + envelope.body.count)
        buffer.moveWriterIndex(forwardBy: FrameHeader.size)
        envelope.serialize(into: &buffer)
        let length = buffer.readableBytes - FrameHeader.size
        guard length <= configuration.maxFrameSize else {
            throw .frameTooLarge(length: length, maximum: configuration.maxFrameSize)
        }
        if let threshold = configuration.compressionThreshold, length >= threshold,
           let compressed = compress(buffer, allocator: allocator) {
            return compressed
        }
        buffer.setInteger(0 as UInt8, at: 0)
        buffer.setInteger(UInt32(length), at: 1, endianness: .big)
        return buffer
    }

    /// The compressed frame of the payload after the reserved header, or nil when compression
    /// does not make it smaller.
    private mutating func compress(_ framed: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        if deflater == nil { deflater = Deflater(level: configuration.compressionLevel) }
        let length = framed.readableBytes - FrameHeader.size
        var output = allocator.buffer(capacity: FrameHeader.size + length / 2)
        output.moveWriterIndex(forwardBy: FrameHeader.size)
        framed.withUnsafeReadableBytes { bytes in
            let payload = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size...])
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: deflater!.bound(payload.count)) { out in
                deflater!.compress(payload, into: out)
            }
        }
        let compressedLength = output.readableBytes - FrameHeader.size
        guard compressedLength < length else { return nil }
        output.setInteger(FrameHeader.compressedFlag, at: 0)
        output.setInteger(UInt32(compressedLength), at: 1, endianness: .big)
        return output
    }
}
