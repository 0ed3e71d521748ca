import NIOCore
import Zlib

/// Turns the bytes of a connection into Envelopes: reads frames, checks their size before
/// buffering them, inflates compressed ones, and decodes the payload with protobuf-c.
///
/// Any error is final for the connection (the stream can no longer be trusted to be in step);
/// the handler after this one answers it and closes.
public struct EnvelopeDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Envelope

    private let configuration: WireConfiguration
    private var inflater: Inflater?

    public init(configuration: WireConfiguration = .init()) {
        self.configuration = configuration
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let envelope = try next(from: &buffer) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(envelope))
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

    /// The next complete Envelope in `buffer`, consuming its frame; nil when the frame is not
    /// complete yet.
    public mutating func next(from buffer: inout ByteBuffer) throws -> Envelope? {
        guard let header = try FrameHeader.peek(buffer, maxFrameSize: configuration.maxFrameSize),
              buffer.readableBytes >= FrameHeader.size + header.length
        else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameHeader.size)
        let payload = buffer.readSlice(length: header.length)!
        guard header.compressed else { return try Envelope(serialized: payload) }
        if inflater == nil { inflater = Inflater() }
        let inflated: [UInt8]
        do {
            inflated = try payload.withUnsafeReadableBytes { try inflater!.decompress($0, limit: configuration.maxFrameSize) }
        } catch {
            throw WireError.badCompression("\(error)")
        }
        return try Envelope(serialized: inflated)
    }
}
