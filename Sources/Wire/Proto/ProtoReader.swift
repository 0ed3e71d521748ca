import CProtobufC

/// Reads the fields of one unpacked protobuf-c message into Swift values.
///
/// Every accessor copies: nothing read here points into the C struct, which is freed right after
/// the message's `init(from:)` returns. Fields are named by number and checked against the
/// descriptor like `ProtoWriter`'s.
public struct ProtoReader {
    let descriptor: MessageDescriptor
    let message: UnsafeRawPointer

    /// The struct member of field `number` after checking it is `what`, or nil for a oneof member
    /// that is not the one set.
    private func member(
        _ number: UInt32, repeated: Bool, _ what: String, accepts: (ProtobufCType) -> Bool
    ) -> (field: ProtobufCFieldDescriptor, address: UnsafeRawPointer)? {
        let field = descriptor.field(number).pointee
        precondition(
            field.isRepeated == repeated && accepts(field.type),
            "\(descriptor.fullName).\(field.fieldName) is not \(what)")
        if field.isOneofMember,
           (message + Int(field.quantifier_offset)).load(as: UInt32.self) != number {
            return nil
        }
        return (field, message + Int(field.offset))
    }

    /// The elements of a repeated field.
    private func elements<Element>(
        _ slot: (field: ProtobufCFieldDescriptor, address: UnsafeRawPointer), as: Element.Type
    ) -> UnsafeBufferPointer<Element> {
        let count = (message + Int(slot.field.quantifier_offset)).load(as: Int.self)
        guard count > 0, let base = slot.address.load(as: UnsafeRawPointer?.self) else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Element.self), count: count)
    }

    /// A scalar field; zero when absent (or, for a oneof member, when another member is set).
    public func read<T: ProtoScalar>(_ number: UInt32) -> T {
        oneof(number) ?? T.protoDefault
    }

    /// A oneof member, or nil when it is not the member set.
    public func oneof<T: ProtoScalar>(_ number: UInt32) -> T? {
        guard let slot = member(number, repeated: false, "\(T.self)", accepts: T.accepts) else { return nil }
        return T(storage: slot.address.load(as: T.Storage.self))
    }

    /// An enum field; numbers this build does not know read as `E.unrecognized`.
    public func enumeration<E: ProtoEnum>(_ number: UInt32) -> E {
        guard let slot = member(number, repeated: false, "an enum", accepts: { $0 == PROTOBUF_C_TYPE_ENUM })
        else { return E(protoValue: 0) }
        return E(protoValue: slot.address.load(as: Int32.self))
    }

    /// A string field; "" when absent.
    public func string(_ number: UInt32) -> String {
        guard let slot = member(number, repeated: false, "a string", accepts: { $0 == PROTOBUF_C_TYPE_STRING }),
              let chars = slot.address.load(as: UnsafePointer<CChar>?.self)
        else { return "" }
        return String(cString: chars)
    }

    /// A bytes field; empty when absent.
    public func bytes(_ number: UInt32) -> [UInt8] {
        guard let slot = member(number, repeated: false, "bytes", accepts: { $0 == PROTOBUF_C_TYPE_BYTES })
        else { return [] }
        let data = slot.address.load(as: ProtobufCBinaryData.self)
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// A repeated scalar field.
    public func repeated<T: ProtoScalar>(_ number: UInt32) -> [T] {
        guard let slot = member(number, repeated: true, "repeated \(T.self)", accepts: T.accepts) else { return [] }
        return elements(slot, as: T.Storage.self).map(T.init(storage:))
    }

    /// A repeated string field.
    public func strings(_ number: UInt32) -> [String] {
        guard let slot = member(number, repeated: true, "repeated string", accepts: { $0 == PROTOBUF_C_TYPE_STRING })
        else { return [] }
        return elements(slot, as: UnsafePointer<CChar>?.self).map { $0.map { String(cString: $0) } ?? "" }
    }

    /// A message field, or nil when absent.
    public func message<M: ProtoMessage>(_ number: UInt32) throws -> M? {
        guard let slot = member(number, repeated: false, "\(M.self)", accepts: { $0 == PROTOBUF_C_TYPE_MESSAGE }),
              let nested = slot.address.load(as: UnsafeRawPointer?.self)
        else { return nil }
        return try M(from: ProtoReader(descriptor: M.descriptor, message: nested))
    }

    /// A repeated message field.
    public func messages<M: ProtoMessage>(_ number: UInt32) throws -> [M] {
        guard let slot = member(number, repeated: true, "repeated \(M.self)", accepts: { $0 == PROTOBUF_C_TYPE_MESSAGE })
        else { return [] }
        return try elements(slot, as: UnsafeRawPointer.self).map {
            try M(from: ProtoReader(descriptor: M.descriptor, message: $0))
        }
    }
}
