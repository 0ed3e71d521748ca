import NIOCore
import Zlib

/// Reads the frames of a connection: checks each one's size before buffering it, inflates
/// compressed ones, and gives their payloads (encoded Envelopes) or the Envelopes decoded with
/// protobuf-c. Connections read through it by way of `InboundFrames`, which holds their bytes.
///
/// Any error is final for the connection (the stream can no longer be trusted to be in step);
/// the handler using this answers it and closes.
public struct EnvelopeDecoder {
    private let configuration: WireConfiguration
    private var inflater: Inflater?

    public init(configuration: WireConfiguration = .init()) {
        self.configuration = configuration
    }

    /// The next complete Envelope in `buffer`, consuming its frame; nil when the frame is not
    /// complete yet.
    public mutating func next(from buffer: inout ByteBuffer) throws -> Envelope? {
        try nextPayload(from: &buffer).map { try Envelope(serialized: $0) }
    }

    /// The encoded Envelope of the next complete frame in `buffer` (inflated when it came
    /// compressed; otherwise a slice, no copy), consuming the frame; nil when the frame is not
    /// complete yet.
    public mutating func nextPayload(from buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let header = try FrameHeader.peek(buffer, maxFrameSize: configuration.maxFrameSize),
              buffer.readableBytes >= FrameHeader.size + header.length
        else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameHeader.size)
        let payload = buffer.readSlice(length: header.length)!
        guard header.compressed else { return payload }
        if inflater == nil { inflater = Inflater() }
        let inflated: [UInt8]
        do {
            inflated = try payload.withUnsafeReadableBytes { try inflater!.decompress($0, limit: configuration.maxFrameSize) }
        } catch {
            throw WireError.badCompression("\(error)")
        }
        return ByteBuffer(bytes: inflated)
    }
}
