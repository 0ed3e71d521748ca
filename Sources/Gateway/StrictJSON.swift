import Foundation

/// Strict reading of the gateway's JSON files: a field nobody reads is an error (a typo such as
/// `timeout` for `timeout_seconds` would otherwise run with the default), and decoding errors
/// read as "upstreams[1].input_per_million: missing" rather than Swift's `DecodingError` dump.
enum StrictJSON {
    /// A key of any name, to list every field an object has.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws when the object `decoder` reads has a field `Keys` does not name, suggesting the
    /// closest one it does.
    static func rejectUnknownFields<Keys: CodingKey & CaseIterable>(in decoder: any Decoder, known: Keys.Type) throws {
        let names = Keys.allCases.map(\.stringValue)
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !names.contains(key.stringValue) {
            let hint = closest(to: key.stringValue, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown field\(hint); the fields are \(names.sorted().joined(separator: ", "))"))
        }
    }

    /// What is wrong with `data`, where: "upstreams[1].timeout_seconds: expected a number", or for
    /// text that is not JSON, the line and column where it stops being JSON.
    static func describe(_ error: any Error, in data: Data) -> String {
        if case .dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty {
            return notJSON(data)
        }
        return describe(error)
    }

    /// The line and column where `data` stops being JSON, from JSONSerialization's character offset.
    private static func notJSON(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
            return "not valid JSON"
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
            guard let offset = detail.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .punctuationCharacters)) }) else {
                return "not valid JSON: \(detail)"
            }
            let before = data.prefix(offset)
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            return "not valid JSON at line \(line), column \(column)"
        }
    }

    /// What went wrong, where: "upstreams[1].timeout_seconds: expected a number".
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing (it is required)"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(kind(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(kind(type)), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "the top level" : text
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Float.Type, is Int.Type, is UInt32.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type, is [String].Type: "an array"
        default: type is any RawRepresentable.Type ? "one of the allowed values" : "an object"
        }
    }

    /// The name within edit distance 3 of `name`, nearest first; nil when none is.
    static func closest(to name: String, in names: [String]) -> String? {
        names.map { ($0, distance(Array(name), Array($0))) }.filter { $0.1 <= 3 || $0.0.hasPrefix(name) }
            .min { $0.1 < $1.1 }?.0
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var row = [i + 1]
            for (j, y) in b.enumerated() {
                row.append(min(previous[j + 1] + 1, row[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = row
        }
        return previous[b.count]
    }
}
