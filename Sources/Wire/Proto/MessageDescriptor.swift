import CProtobufC
import CSwitchyardProto

/// A protobuf-c message descriptor from the generated code, found by the message's full name.
///
/// Descriptors are immutable C globals, so sharing the pointer across threads is safe.
public struct MessageDescriptor: @unchecked Sendable {
    let pointer: UnsafePointer<ProtobufCMessageDescriptor>

    /// The descriptor of `fullName` (e.g. "switchyard.v1.RouteRequest"). Traps when the generated
    /// code has no such message: that is a programming error, caught by the round-trip tests.
    public init(_ fullName: String) {
        guard let descriptor = Self.table[fullName] else {
            preconditionFailure("no protobuf-c descriptor for \(fullName); run scripts/gen-proto.sh")
        }
        self = descriptor
    }

    private init(pointer: UnsafePointer<ProtobufCMessageDescriptor>) { self.pointer = pointer }

    /// The message's full name, from the descriptor.
    public var fullName: String { String(cString: pointer.pointee.name) }

    /// The C struct's size in bytes.
    var structSize: Int { Int(pointer.pointee.sizeof_message) }

    /// The field numbered `number`; traps when the message has none (a mapping error).
    func field(_ number: UInt32) -> UnsafePointer<ProtobufCFieldDescriptor> {
        guard let field = protobuf_c_message_descriptor_get_field(pointer, number) else {
            preconditionFailure("\(fullName) has no field \(number)")
        }
        return field
    }

    /// Every message of the generated code, by full name.
    static let table: [String: MessageDescriptor] = {
        var table: [String: MessageDescriptor] = [:]
        for index in 0..<switchyard_message_descriptor_count() {
            let descriptor = MessageDescriptor(pointer: switchyard_message_descriptor_at(index)!)
            table[descriptor.fullName] = descriptor
        }
        return table
    }()

    /// Full names of every message in the generated code.
    public static var allMessageNames: [String] { table.keys.sorted() }
}

extension ProtobufCFieldDescriptor {
    var isRepeated: Bool { label == PROTOBUF_C_LABEL_REPEATED }
    var isOneofMember: Bool { flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 }
    var fieldName: String { String(cString: name) }
}
