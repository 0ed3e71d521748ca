import CProtobufC
import NIOCore

/// A Swift value that is one message of proto/, encoded and decoded by protobuf-c.
///
/// A conforming type names its message and maps its properties onto field numbers; the packing
/// and unpacking, and all C memory, are handled here once for every message.
public protocol ProtoMessage: Sendable {
    /// The message's protobuf-c descriptor, e.g. `MessageDescriptor("switchyard.v1.RouteRequest")`.
    static var descriptor: MessageDescriptor { get }
    /// Reads the message's fields.
    init(from reader: ProtoReader) throws
    /// Writes the message's fields.
    func write(to writer: ProtoWriter)
}

extension ProtoMessage {
    /// Packs the message with protobuf-c and hands the packed C struct's size and the pack function
    /// to `body`.
    private func packed<R>(_ body: (Int, (UnsafeMutablePointer<UInt8>) -> Void) throws -> R) rethrows -> R {
        let arena = Arena()
        let writer = ProtoWriter(descriptor: Self.descriptor, arena: arena)
        write(to: writer)
        let message = writer.message.assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(message)
        return try withExtendedLifetime(arena) {
            try body(size) { out in _ = protobuf_c_message_pack(message, out) }
        }
    }

    /// Appends the serialized message to `buffer`.
    public func serialize(into buffer: inout ByteBuffer) {
        _ = packed { size, pack in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
                if size > 0 { pack(out.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
                return size
            }
        }
    }

    /// The serialized message.
    public func serializedBytes() -> [UInt8] {
        packed { size, pack in
            [UInt8](unsafeUninitializedCapacity: size) { out, count in
                if size > 0 { pack(out.baseAddress!) }
                count = size
            }
        }
    }

    /// The serialized size in bytes.
    public var serializedSize: Int { packed { size, _ in size } }

    /// Decodes a serialized message; throws `WireError.undecodable` when protobuf-c rejects it.
    public init(serialized bytes: UnsafeRawBufferPointer) throws {
        var empty: UInt8 = 0
        let unpacked = withUnsafePointer(to: &empty) { emptyPointer in
            protobuf_c_message_unpack(
                Self.descriptor.pointer, nil, bytes.count,
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer)
        }
        guard let unpacked else { throw WireError.undecodable(message: Self.descriptor.fullName) }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        try self.init(from: ProtoReader(descriptor: Self.descriptor, message: UnsafeRawPointer(unpacked)))
    }

    /// Decodes a serialized message.
    public init(serialized bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try Self(serialized: $0) }
    }

    /// Decodes the readable bytes of `buffer` as a serialized message.
    public init(serialized buffer: ByteBuffer) throws {
        self = try buffer.withUnsafeReadableBytes { try Self(serialized: $0) }
    }
}
