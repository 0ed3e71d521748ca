import Foundation

/// A `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw data. Only F32 tensors are
/// read (all-MiniLM-L6-v2 ships F32).
struct SafeTensors {
    struct Entry {
        var shape: [Int]
        var range: Range<Int>
    }

    /// The mapped file; tensors point into it.
    let data: Data
    let entries: [String: Entry]
    /// Where the tensor data starts.
    let base: Int

    /// Maps `url` and reads its header; throws `MiniLMError.badWeights` saying what is wrong.
    init(_ url: URL) throws {
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw MiniLMError.missingFile(url.path)
        }
        func bad(_ why: String) -> MiniLMError { .badWeights("\(url.lastPathComponent): \(why)") }
        guard data.count >= 8 else { throw bad("shorter than its header") }
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerLength > 0, headerLength <= data.count - 8 else { throw bad("header length \(headerLength) does not fit the file") }
        base = 8 + headerLength
        guard let header = try? JSONSerialization.jsonObject(with: data[8..<base]) as? [String: Any] else {
            throw bad("header is not JSON")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("tensor \(name) has no dtype, shape or offsets") }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], base + offsets[1] <= data.count else {
                throw bad("tensor \(name) lies outside the file (truncated?)")
            }
            guard dtype == "F32" || dtype == "I64" else { throw bad("tensor \(name) is \(dtype); only F32 is supported") }
            entries[name] = Entry(shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
    }

    /// The F32 tensor `name`, which must have `shape`, copied out.
    func tensor(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = entries[name] else { throw MiniLMError.badWeights("no tensor \(name)") }
        guard entry.shape == shape else {
            throw MiniLMError.badWeights("tensor \(name) is \(entry.shape), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        guard entry.range.count == count * 4 else {
            throw MiniLMError.badWeights("tensor \(name) holds \(entry.range.count) bytes, expected \(count * 4) (F32)")
        }
        return data.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                let source = UnsafeRawBufferPointer(rebasing: raw[(base + entry.range.lowerBound)..<(base + entry.range.upperBound)])
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
                initialized = count
            }
        }
    }

    /// The shape of tensor `name`, if present.
    func shape(_ name: String) -> [Int]? { entries[name]?.shape }
}
