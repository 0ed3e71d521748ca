import NIOCore

/// The 5-byte header before every payload: `flags:u8` (bit 0 = zlib), `length:u32` big-endian.
public struct FrameHeader: Sendable, Equatable {
    public static let size = 5
    /// Flag bit 0: the payload is zlib-compressed.
    public static let compressedFlag: UInt8 = 0x01

    public var compressed: Bool
    /// Payload length on the wire (compressed length when compressed).
    public var length: Int

    public init(compressed: Bool, length: Int) {
        self.compressed = compressed
        self.length = length
    }

    /// Reads a header at the reader index of `buffer` without moving it; nil when fewer than 5
    /// bytes are there. Throws on unknown flags and on a length above `maxFrameSize`.
    public static func peek(_ buffer: ByteBuffer, maxFrameSize: Int) throws(WireError) -> FrameHeader? {
        guard let flags = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, endianness: .big, as: UInt32.self)
        else { return nil }
        guard flags & ~compressedFlag == 0 else { throw .badFlags(flags) }
        guard Int(length) <= maxFrameSize else { throw .frameTooLarge(length: Int(length), maximum: maxFrameSize) }
        return FrameHeader(compressed: flags & compressedFlag != 0, length: Int(length))
    }

    /// Writes the header.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(compressed ? Self.compressedFlag : 0)
        buffer.writeInteger(UInt32(length), endianness: .big)
    }
}
