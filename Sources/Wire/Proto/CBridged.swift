import CProtobufC

/// A generated message's bridge to the C struct protoc-c generated for it: how to read the struct
/// into the Swift value and fill it in from one. Conformances are generated (Sources/Wire/Generated).
protocol CBridged: ProtoMessage {
    associatedtype CMessage
    /// Sets the struct to the message's defaults (protoc-c's `..._init`).
    static func initialize(_ m: UnsafeMutablePointer<CMessage>)
    /// protoc-c's `..._unpack`: nil when the bytes are not this message.
    static func unpack(_ length: Int, _ bytes: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>?
    /// protoc-c's `..._free_unpacked`.
    static func free(_ m: UnsafeMutablePointer<CMessage>)
    /// Copies every field out of an unpacked struct (nothing read here points into it).
    init(unpacked m: UnsafePointer<CMessage>)
    /// Fills in an initialized struct; memory comes from `arena`.
    func fill(_ m: UnsafeMutablePointer<CMessage>, in arena: ProtoArena)
}

extension CBridged {
    /// The message as an initialized, filled-in C struct in `arena`.
    func packed(in arena: ProtoArena) -> UnsafeMutablePointer<CMessage> {
        let m = arena.allocate(CMessage.self)
        Self.initialize(m)
        fill(m, in: arena)
        return m
    }
}

/// What generated code reads C values with.
enum ProtoC {
    /// A NUL-terminated string, "" for NULL.
    static func string(_ chars: UnsafePointer<CChar>?) -> String {
        chars.map { String(cString: $0) } ?? ""
    }

    /// A `bytes` field.
    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// The `count` elements of a repeated field.
    static func array<T>(_ elements: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
        guard count > 0, let elements else { return [] }
        return Array(UnsafeBufferPointer(start: elements, count: count))
    }

    /// A repeated string field.
    static func strings(_ elements: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ count: Int) -> [String] {
        array(elements, count).map { string($0) }
    }

    /// Unpacks `bytes` as `M` with protobuf-c, copies it out and frees the C struct.
    static func unpack<M: CBridged>(_ bytes: UnsafeRawBufferPointer) -> M? {
        var empty: UInt8 = 0
        let unpacked = withUnsafePointer(to: &empty) { emptyPointer in
            M.unpack(bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer)
        }
        guard let unpacked else { return nil }
        defer { M.free(unpacked) }
        return M(unpacked: unpacked)
    }
}
