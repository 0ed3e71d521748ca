import NIOCore

/// The bytes a connection has read and not yet taken as whole frames, with the decoder that takes
/// them: what both ends of a connection read through (their handlers read frames themselves,
/// with no decoding handler in the pipeline before them).
public struct InboundFrames {
    private var decoder: EnvelopeDecoder
    /// The bytes not yet taken as frames (nil when none).
    public private(set) var pending: ByteBuffer?

    public init(configuration: WireConfiguration = .init()) {
        decoder = EnvelopeDecoder(configuration: configuration)
    }

    /// Adds bytes the connection read.
    public mutating func append(_ bytes: ByteBuffer) {
        if pending == nil {
            pending = bytes
        } else {
            var bytes = bytes
            pending!.writeBuffer(&bytes)
        }
    }

    /// The payload (encoded Envelope) of the next whole frame, consuming it; nil when no whole
    /// frame is buffered. An error is final for the connection.
    public mutating func nextPayload() throws -> ByteBuffer? {
        guard pending != nil else { return nil }
        return try decoder.nextPayload(from: &pending!)
    }

    /// Lets go of the bytes already taken: the buffer when nothing is left, or its consumed head
    /// once that is large.
    public mutating func compact() {
        guard let buffer = pending else { return }
        if buffer.readableBytes == 0 {
            pending = nil
        } else if buffer.readerIndex > 64 << 10 {
            pending!.discardReadBytes()
        }
    }

    /// Forgets what is buffered (the connection is failing).
    public mutating func discard() { pending = nil }

    /// What the bytes still buffered mean when the stream ends: nil for none, else a frame cut short.
    public var endOfStream: WireError? {
        guard let pending, pending.readableBytes > 0 else { return nil }
        let expected = (try? FrameHeader.peek(pending, maxFrameSize: .max))??.length ?? 0
        return .truncatedFrame(received: pending.readableBytes, expected: expected + FrameHeader.size)
    }
}
