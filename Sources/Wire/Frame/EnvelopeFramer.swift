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
        try append(envelope, to: &buffer)
        return buffer
    }

    /// Appends the framed envelope to `buffer` (frames written in one event-loop tick share a
    /// buffer and a write). On a throw, `buffer` is as it was.
    public mutating func append(_ envelope: Envelope, to buffer: inout ByteBuffer) throws(WireError) {
        let start = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: FrameHeader.size)
        envelope.serialize(into: &buffer)
        try finishFrame(at: start, in: &buffer)
    }

    /// What a relay sends a request on with, in place of the caller's: its own id for the
    /// request on this connection, the deadline it grants, its own token (empty: none).
    public struct RelayedRequest {
        public var timeoutMs: UInt32
        public var authToken: [UInt8]

        public init(timeoutMs: UInt32, authToken: [UInt8]) {
            self.timeoutMs = timeoutMs
            self.authToken = authToken
        }
    }

    /// `envelope` framed again with `id` in place of its own, and for a request (`request` set)
    /// the relay's deadline and token in place of the caller's; every other field is copied as
    /// it came, without protobuf-c (the coordinator's per-request path).
    public mutating func frame(
        relaying envelope: EncodedEnvelope, id: UInt64, request: RelayedRequest? = nil, allocator: ByteBufferAllocator
    ) throws(WireError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: FrameHeader.size + envelope.payload.readableBytes + 64)
        try append(relaying: envelope, id: id, request: request, to: &buffer)
        return buffer
    }

    /// Appends `envelope` framed again as `frame(relaying:...)` does to `buffer`. On a throw,
    /// `buffer` is as it was.
    public mutating func append(
        relaying envelope: EncodedEnvelope, id: UInt64, request: RelayedRequest? = nil, to buffer: inout ByteBuffer
    ) throws(WireError) {
        let token = request?.authToken ?? []
        let payloadBytes = envelope.payload.readableBytes
        // Key and varint of the id, timeout and token length: at most 11 bytes each.
        let most = FrameHeader.size + 3 * 11 + token.count + payloadBytes
        let start = buffer.writerIndex
        // Dropped from the copy: the id, and a request's deadline and token.
        let replaced: UInt64 = request == nil ? 1 << 1 : 1 << 1 | 1 << 3 | 1 << 7
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: most) { out in
            var at = FrameHeader.size
            func put(_ byte: UInt8) {
                out[at] = byte
                at += 1
            }
            func putVarint(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    put(UInt8(truncatingIfNeeded: value) | 0x80)
                    value >>= 7
                }
                put(UInt8(value))
            }
            func putBytes(_ bytes: UnsafeRawBufferPointer) {
                guard !bytes.isEmpty else { return }
                UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + bytes.count)]).copyMemory(from: bytes)
                at += bytes.count
            }
            put(1 << 3 | 0)
            putVarint(id)
            if let request {
                if request.timeoutMs != 0 {
                    put(3 << 3 | 0)
                    putVarint(UInt64(request.timeoutMs))
                }
                if !token.isEmpty {
                    put(7 << 3 | 2)
                    putVarint(UInt64(token.count))
                    token.withUnsafeBytes { putBytes($0) }
                }
            }
            envelope.payload.withUnsafeReadableBytes { bytes in
                // Runs of kept fields are copied whole.
                var run = 0..<0
                _ = ProtoScanner.forEachField(in: bytes) { field in
                    if field.number < 64, replaced & (1 << field.number) != 0 {
                        putBytes(UnsafeRawBufferPointer(rebasing: bytes[run]))
                        run = field.extent.upperBound..<field.extent.upperBound
                    } else {
                        run = run.lowerBound..<field.extent.upperBound
                    }
                    return true
                }
                putBytes(UnsafeRawBufferPointer(rebasing: bytes[run]))
            }
            return at
        }
        try finishFrame(at: start, in: &buffer)
    }

    /// Writes the header of the frame begun at `start` (its payload follows the reserved header
    /// up to the writer index), compressing the payload when the configuration says to; a
    /// payload over the maximum is taken back out and thrown.
    private mutating func finishFrame(at start: Int, in buffer: inout ByteBuffer) throws(WireError) {
        let length = buffer.writerIndex - start - FrameHeader.size
        guard length <= configuration.maxFrameSize else {
            buffer.moveWriterIndex(to: start)
            throw .frameTooLarge(length: length, maximum: configuration.maxFrameSize)
        }
        if let threshold = configuration.compressionThreshold, length >= threshold,
           let compressed = compress(buffer.getSlice(at: start + FrameHeader.size, length: length)!) {
            buffer.moveWriterIndex(to: start)
            FrameHeader(compressed: true, length: compressed.readableBytes).write(to: &buffer)
            buffer.writeImmutableBuffer(compressed)
            return
        }
        buffer.setInteger(0 as UInt8, at: start)
        buffer.setInteger(UInt32(length), at: start + 1, endianness: .big)
    }

    /// `payload` compressed, or nil when compression does not make it smaller.
    private mutating func compress(_ payload: ByteBuffer) -> ByteBuffer? {
        if deflater == nil { deflater = Deflater(level: configuration.compressionLevel) }
        var output = ByteBuffer()
        payload.withUnsafeReadableBytes { bytes in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: deflater!.bound(bytes.count)) { out in
                deflater!.compress(bytes, into: out)
            }
        }
        return output.readableBytes < payload.readableBytes ? output : nil
    }
}
