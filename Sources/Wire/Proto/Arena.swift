/// A bump allocator for the C structs of one message being encoded; everything is freed at once
/// when the arena goes away, after `protobuf_c_message_pack` has copied it all out.
final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private static let blockSize = 4096

    init() {}

    /// `size` zeroed bytes aligned to 16, valid until the arena is released.
    func allocate(_ size: Int) -> UnsafeMutableRawPointer {
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

    /// A NUL-terminated copy of `string`'s UTF-8.
    func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let memory = allocate(utf8.count + 1)
            if let base = utf8.baseAddress { memory.copyMemory(from: base, byteCount: utf8.count) }
            memory.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return memory.assumingMemoryBound(to: CChar.self)
        }
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}
