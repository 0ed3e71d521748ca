/// Finds a top-level field of a JSON object in its bytes, so one value can be replaced without
/// parsing and writing the whole document again (which would also reorder its keys and respell
/// its numbers). Only the structure is scanned: strings (with escapes), nested objects and
/// arrays, and other values are skipped over, not decoded.
enum JSONFieldSplice {
    /// The byte range of the value of top-level key `key` in `json` (a JSON object), or nil when
    /// the object has no such key or the bytes are not a well-formed object as far as scanned.
    /// A key that appears twice: its last value (what JSON parsers keep).
    static func valueRange(of key: String, in json: [UInt8]) -> Range<Int>? {
        var scanner = Scanner(bytes: json)
        scanner.skipWhitespace()
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        let wanted = Array(key.utf8)
        var found: Range<Int>?
        scanner.skipWhitespace()
        if scanner.take(UInt8(ascii: "}")) { return nil }
        while true {
            scanner.skipWhitespace()
            guard let name = scanner.skipString() else { return nil }
            scanner.skipWhitespace()
            guard scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            let start = scanner.position
            guard scanner.skipValue() else { return nil }
            // Keys with escapes are not compared (a "model" key is never written escaped).
            if json[name.lowerBound + 1..<name.upperBound - 1].elementsEqual(wanted) { found = start..<scanner.position }
            scanner.skipWhitespace()
            if scanner.take(UInt8(ascii: ",")) { continue }
            guard scanner.take(UInt8(ascii: "}")) else { return nil }
            return found
        }
    }

    /// `json` with the value of top-level key `key` replaced by the JSON string `value`; nil when
    /// `valueRange` finds no such key.
    static func replacingString(_ key: String, with value: String, in json: [UInt8]) -> [UInt8]? {
        guard let range = valueRange(of: key, in: json) else { return nil }
        var result = [UInt8]()
        result.reserveCapacity(json.count + value.utf8.count)
        result += json[..<range.lowerBound]
        result += encodedString(value)
        result += json[range.upperBound...]
        return result
    }

    /// `value` as a JSON string literal.
    static func encodedString(_ value: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// Skips a string; its range, quotes included.
        mutating func skipString() -> Range<Int>? {
            let start = position
            guard take(UInt8(ascii: "\"")) else { return nil }
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\\"): position += 2
                case UInt8(ascii: "\""):
                    position += 1
                    return start..<position
                default: position += 1
                }
            }
            return nil
        }

        /// Skips any value: a string, an object or array (to its matching close, strings inside
        /// skipped whole), or a number or literal (to the next delimiter).
        mutating func skipValue() -> Bool {
            guard position < bytes.count else { return false }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                return skipString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: "\""):
                        guard skipString() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            position += 1
                            return true
                        }
                    default: break
                    }
                    position += 1
                }
                return false
            default:
                let start = position
                while position < bytes.count, !",}] \t\n\r".utf8.contains(bytes[position]) { position += 1 }
                return position > start
            }
        }
    }
}
