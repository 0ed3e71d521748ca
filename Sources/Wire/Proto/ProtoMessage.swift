import CProtobufC
import NIOCore

/// A Swift value that is one message of proto/, encoded and decoded by protobuf-c.
///
/// Every conforming type is generated from proto/ by scripts/gen-proto.sh (Sources/Wire/Generated):
/// edit the .proto file and run the script; nothing here is written by hand per message.
public protocol ProtoMessage: Sendable, Equatable {
    /// The message's full name in proto/, e.g. "switchyard.v1.RouteRequest".
    static var protoName: String { get }
    /// Decodes `bytes` with protobuf-c; nil when protobuf-c rejects them.
    static func unpacked(from bytes: UnsafeRawBufferPointer) -> Self?
    /// The message as a protobuf-c struct (a `ProtobufCMessage`) allocated in `arena`.
    func protobufC(in arena: ProtoArena) -> UnsafeMutableRawPointer
}

extension ProtoMessage {
    /// Packs the message with protobuf-c, handing the packed size and the pack function to `body`.
    private func packed<R>(_ body: (Int, (UnsafeMutablePointer<UInt8>) -> Void) throws -> R) rethrows -> R {
        let arena = ProtoArena()
        let message = protobufC(in: arena).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(message)
        return try withExtendedLifetime(arena) {
            try body(size) { out in _ = protobuf_c_message_pack(message, out) }
        }
    }

    /// Appends the serialized message to `buffer`.
    public func serialize(into buffer: inout ByteBuffer) {
        packed { size, pack in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
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
    public init(serialized bytes: UnsafeRawBufferPointer) throws(WireError) {
        guard let message = Self.unpacked(from: bytes) else { throw .undecodable(message: Self.protoName) }
        self = message
    }

    /// Decodes a serialized message.
    public init(serialized bytes: [UInt8]) throws(WireError) {
        guard let message = bytes.withUnsafeBytes(Self.unpacked(from:)) else { throw .undecodable(message: Self.protoName) }
        self = message
    }

    /// Decodes the readable bytes of `buffer` as a serialized message.
    public init(serialized buffer: ByteBuffer) throws(WireError) {
        guard let message = buffer.withUnsafeReadableBytes(Self.unpacked(from:)) else {
            throw .undecodable(message: Self.protoName)
        }
        self = message
    }
}

/// A Swift enum generated from a protobuf enum. Numbers a peer sends that this build does not
/// know decode to `unrecognized`, never fail.
public protocol ProtoEnum: RawRepresentable, Sendable where RawValue == Int32 {
    static var unrecognized: Self { get }
}

extension ProtoEnum {
    init(protoValue: Int32) { self = Self(rawValue: protoValue) ?? .unrecognized }
}
