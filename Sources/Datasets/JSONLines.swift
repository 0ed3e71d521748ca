import Foundation

/// Reads the JSONL files that published results come in, line by line as JSON objects.
enum JSONLines {
    /// Each non-empty line of `path` as a JSON object, with its 1-based line number.
    static func objects(_ path: String) throws -> [(line: Int, object: [String: Any])] {
        try TextFile.lines(try TextFile.read(path)).enumerated().compactMap { index, text in
            guard !text.isEmpty else { return nil }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw DatasetError(file: path, line: index + 1, "not a JSON object")
            }
            return (index + 1, object)
        }
    }
}
