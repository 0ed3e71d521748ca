import CProtobufC

/// A Swift type that maps onto a protobuf scalar field of protobuf-c.
///
/// `Storage` is the C type protobuf-c keeps in the struct (a `bool` field is a 4-byte
/// `protobuf_c_boolean`).
public protocol ProtoScalar: Sendable {
    associatedtype Storage: BitwiseCopyable
    /// Whether a field of this protobuf type can be read into and written from this Swift type.
    static func accepts(_ type: ProtobufCType) -> Bool
    init(storage: Storage)
    var storage: Storage { get }
    /// The value of an absent field.
    static var protoDefault: Self { get }
}

extension ProtoScalar where Self: Numeric {
    public static var protoDefault: Self { .zero }
}

extension ProtoScalar where Storage == Self {
    public init(storage: Self) { self = storage }
    public var storage: Self { self }
}

extension Int32: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool {
        type == PROTOBUF_C_TYPE_INT32 || type == PROTOBUF_C_TYPE_SINT32 || type == PROTOBUF_C_TYPE_SFIXED32
    }
}

extension UInt32: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool {
        type == PROTOBUF_C_TYPE_UINT32 || type == PROTOBUF_C_TYPE_FIXED32
    }
}

extension Int64: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool {
        type == PROTOBUF_C_TYPE_INT64 || type == PROTOBUF_C_TYPE_SINT64 || type == PROTOBUF_C_TYPE_SFIXED64
    }
}

extension UInt64: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool {
        type == PROTOBUF_C_TYPE_UINT64 || type == PROTOBUF_C_TYPE_FIXED64
    }
}

extension Float: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool { type == PROTOBUF_C_TYPE_FLOAT }
}

extension Double: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool { type == PROTOBUF_C_TYPE_DOUBLE }
}

extension Bool: ProtoScalar {
    public static func accepts(_ type: ProtobufCType) -> Bool { type == PROTOBUF_C_TYPE_BOOL }
    public init(storage: protobuf_c_boolean) { self = storage != 0 }
    public var storage: protobuf_c_boolean { self ? 1 : 0 }
    public static var protoDefault: Bool { false }
}

/// A Swift enum that maps onto a protobuf enum field. Unknown numbers (from a newer peer) decode to
/// `unrecognized`, never fail.
public protocol ProtoEnum: RawRepresentable, Sendable where RawValue == Int32 {
    static var unrecognized: Self { get }
}

extension ProtoEnum {
    init(protoValue: Int32) { self = Self(rawValue: protoValue) ?? .unrecognized }
}
