import CProtobufC

/// A bump allocator for the C structs of one message being encoded; everything is freed at once
/// when the arena goes away, after `protobuf_c_message_pack` has copied it all out, so no Swift
/// buffer has to stay pinned while protobuf-c reads it.
public final class ProtoArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private static let blockSize = 4096

    init() {}

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// `size` zeroed bytes aligned to 16, valid until the arena is released.
    private func allocate(bytes size: Int) -> UnsafeMutableRawPointer {
        let rounded = (max(size, 1) + 15) & ~15
        if rounded > remaining {
            let blockSize = max(rounded, Self.blockSize)
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
            blocks.append(block)
            cursor = block
            remaining = blockSize
        }
        let result = cursor!
        result.initializeMemory(as: UInt8.self, repeating: 0, count: rounded)
        cursor = result + rounded
        remaining -= rounded
        return result
    }

    /// A zeroed `T` (a C struct).
    func allocate<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        allocate(bytes: MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
    }

    /// A NUL-terminated copy of `string`'s UTF-8.
    func string(_ string: String) -> UnsafeMutablePointer<CChar>? {
        var string = string
        return string.withUTF8 { utf8 in
            let memory = allocate(bytes: utf8.count + 1)
            if let base = utf8.baseAddress { memory.copyMemory(from: base, byteCount: utf8.count) }
            return memory.bindMemory(to: CChar.self, capacity: utf8.count + 1)
        }
    }

    /// A copy of `bytes` for a `bytes` field.
    func bytes(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let memory = allocate(bytes: bytes.count).bindMemory(to: UInt8.self, capacity: bytes.count)
        memory.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: memory)
    }

    /// A copy of `values` for a repeated field: its count and its elements.
    func array<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        let memory = allocate(bytes: values.count * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: values.count)
        memory.initialize(from: values, count: values.count)
        return (values.count, memory)
    }
}
