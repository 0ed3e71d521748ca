import NIOCore
import Zlib

/// Reads the frames of a connection: checks each one's size before buffering it, inflates
/// compressed ones, and gives their payloads (encoded Envelopes) or the Envelopes decoded with
/// protobuf-c.
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

/// The client side's decoder: the payload (encoded Envelope) of each frame, for the connection
/// handler to read its id and status in place and decode the rest only for calls that want it
/// decoded. (A ByteBuffer travels the pipeline without a box; a bigger value would not.)
public struct EnvelopePayloadDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    private var frames: EnvelopeDecoder

    public init(configuration: WireConfiguration = .init()) {
        frames = EnvelopeDecoder(configuration: configuration)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let payload = try frames.nextPayload(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(payload))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let expected = (try? FrameHeader.peek(buffer, maxFrameSize: .max))??.length ?? 0
            throw WireError.truncatedFrame(received: buffer.readableBytes, expected: expected + FrameHeader.size)
        }
        return .needMoreData
    }
}
