import Foundation
import Zlib

/// Reads and writes text files, transparently gzip-compressed when the name ends in ".gz".
public enum TextFile {
    /// The file's text; gzip is inflated (up to 2 GiB).
    public static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError(file: path, "cannot read the file")
        }
        var bytes = [UInt8](data)
        if path.hasSuffix(".gz") {
            do {
                bytes = try bytes.withUnsafeBytes { try Inflater(format: .gzip).decompress($0, limit: 1 << 31) }
            } catch {
                throw DatasetError(file: path, "not a valid gzip file: \(error)")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw DatasetError(file: path, "not UTF-8 text") }
        return text
    }

    /// Writes `text`, gzip-compressed when `path` ends in ".gz".
    public static func write(_ text: String, to path: String) throws {
        var bytes = Array(text.utf8)
        if path.hasSuffix(".gz") {
            bytes = bytes.withUnsafeBytes { Deflater(level: 9, format: .gzip).compress($0) }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw DatasetError(file: path, "cannot write the file")
        }
    }

    /// The lines of `text` (a final newline does not make an empty last line).
    public static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
