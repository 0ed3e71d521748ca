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
        return try finish(&buffer, allocator: allocator)
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
        let token = request?.authToken ?? []
        let payloadBytes = envelope.payload.readableBytes
        // Key and varint of the id, timeout and token length: at most 11 bytes each.
        let most = FrameHeader.size + 3 * 11 + token.count + payloadBytes
        var buffer = allocator.buffer(capacity: most)
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
        return try finish(&buffer, allocator: allocator)
    }

    /// Writes the header before the payload that follows the reserved space, compressing it
    /// when the configuration says to.
    /// (In place: a copy of `buffer` here would make the header writes copy the whole frame.)
    private mutating func finish(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator) throws(WireError) -> ByteBuffer {
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
