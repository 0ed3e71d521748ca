import CProtobufC

/// Fills in the protobuf-c struct of one message, field by field, so protobuf-c can pack it.
///
/// Fields are named by number, as in proto/. Each call checks the number and the type against the
/// generated descriptor and traps on a mismatch (a mapping error that the round-trip tests catch).
/// Zero values of plain proto3 fields need no call: they are the struct's initial state. Memory
/// comes from an arena that outlives the pack, so no Swift buffer has to stay pinned.
public struct ProtoWriter {
    let descriptor: MessageDescriptor
    let message: UnsafeMutableRawPointer
    private let arena: Arena

    init(descriptor: MessageDescriptor, arena: Arena) {
        self.descriptor = descriptor
        self.arena = arena
        self.message = arena.allocate(descriptor.structSize)
        protobuf_c_message_init(descriptor.pointer, message)
    }

    /// The struct member of field `number`, after checking it is `what`; sets the oneof case.
    private func member(
        _ number: UInt32, repeated: Bool, _ what: String, accepts: (ProtobufCType) -> Bool
    ) -> (field: ProtobufCFieldDescriptor, address: UnsafeMutableRawPointer) {
        let field = descriptor.field(number).pointee
        precondition(
            field.isRepeated == repeated && accepts(field.type),
            "\(descriptor.fullName).\(field.fieldName) is not \(what)")
        if field.isOneofMember {
            (message + Int(field.quantifier_offset)).storeBytes(of: number, as: UInt32.self)
        }
        return (field, message + Int(field.offset))
    }

    /// Sets the count of a repeated field and returns the array memory for it.
    private func array(_ field: ProtobufCFieldDescriptor, count: Int, stride: Int) -> UnsafeMutableRawPointer {
        (message + Int(field.quantifier_offset)).storeBytes(of: count, as: Int.self)
        let elements = arena.allocate(count * stride)
        (message + Int(field.offset)).storeBytes(of: elements, as: UnsafeMutableRawPointer.self)
        return elements
    }

    /// A scalar field (or the member of a oneof, which this call selects).
    public func write<T: ProtoScalar>(_ number: UInt32, _ value: T) {
        let slot = member(number, repeated: false, "\(T.self)", accepts: T.accepts)
        slot.address.storeBytes(of: value.storage, as: T.Storage.self)
    }

    /// An enum field.
    public func write<E: ProtoEnum>(_ number: UInt32, _ value: E) {
        let slot = member(number, repeated: false, "an enum", accepts: { $0 == PROTOBUF_C_TYPE_ENUM })
        slot.address.storeBytes(of: value.rawValue, as: Int32.self)
    }

    /// A string field.
    public func write(_ number: UInt32, _ value: String) {
        let slot = member(number, repeated: false, "a string", accepts: { $0 == PROTOBUF_C_TYPE_STRING })
        if value.isEmpty && !slot.field.isOneofMember { return }
        slot.address.storeBytes(of: arena.copy(value), as: UnsafeMutablePointer<CChar>.self)
    }

    /// A bytes field.
    public func write(_ number: UInt32, _ value: some Collection<UInt8>) {
        let slot = member(number, repeated: false, "bytes", accepts: { $0 == PROTOBUF_C_TYPE_BYTES })
        let data = arena.allocate(value.count)
        _ = UnsafeMutableRawBufferPointer(start: data, count: value.count).initializeMemory(
            as: UInt8.self, from: value)
        slot.address.storeBytes(
            of: ProtobufCBinaryData(len: value.count, data: data.assumingMemoryBound(to: UInt8.self)),
            as: ProtobufCBinaryData.self)
    }

    /// A repeated scalar field.
    public func write<T: ProtoScalar>(_ number: UInt32, _ values: [T]) {
        guard !values.isEmpty else { return }
        let slot = member(number, repeated: true, "repeated \(T.self)", accepts: T.accepts)
        let elements = array(slot.field, count: values.count, stride: MemoryLayout<T.Storage>.stride)
            .bindMemory(to: T.Storage.self, capacity: values.count)
        for (index, value) in values.enumerated() { elements[index] = value.storage }
    }

    /// A repeated string field.
    public func write(_ number: UInt32, _ values: [String]) {
        guard !values.isEmpty else { return }
        let slot = member(number, repeated: true, "repeated string", accepts: { $0 == PROTOBUF_C_TYPE_STRING })
        let elements = array(slot.field, count: values.count, stride: MemoryLayout<UnsafeMutablePointer<CChar>>.stride)
            .bindMemory(to: UnsafeMutablePointer<CChar>.self, capacity: values.count)
        for (index, value) in values.enumerated() { elements[index] = arena.copy(value) }
    }

    /// A message field; nil leaves it absent.
    public func write<M: ProtoMessage>(_ number: UInt32, _ value: M?) {
        guard let value else { return }
        let slot = member(number, repeated: false, "\(M.self)", accepts: { $0 == PROTOBUF_C_TYPE_MESSAGE })
        slot.address.storeBytes(of: nested(value), as: UnsafeMutableRawPointer.self)
    }

    /// A repeated message field.
    public func write<M: ProtoMessage>(_ number: UInt32, _ values: [M]) {
        guard !values.isEmpty else { return }
        let slot = member(number, repeated: true, "repeated \(M.self)", accepts: { $0 == PROTOBUF_C_TYPE_MESSAGE })
        let elements = array(slot.field, count: values.count, stride: MemoryLayout<UnsafeMutableRawPointer>.stride)
            .bindMemory(to: UnsafeMutableRawPointer.self, capacity: values.count)
        for (index, value) in values.enumerated() { elements[index] = nested(value) }
    }

    private func nested<M: ProtoMessage>(_ value: M) -> UnsafeMutableRawPointer {
        let writer = ProtoWriter(descriptor: M.descriptor, arena: arena)
        value.write(to: writer)
        return writer.message
    }
}
