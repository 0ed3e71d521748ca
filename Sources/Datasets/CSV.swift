/// A CSV reader (RFC 4180: quoted fields may hold commas, quotes and newlines).
public struct CSV: Sendable {
    public let header: [String]
    public let rows: [[String]]

    /// Parses `text`; the first record is the header. Throws when a row's field count differs
    /// from the header's, naming the record's starting line.
    public init(_ text: String, file: String) throws {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1, recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    let following = next()
                    if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                records.append((recordLine, fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw DatasetError(file: file, line: recordLine, "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        guard let first = records.first else { throw DatasetError(file: file, "empty CSV file") }
        header = first.fields
        for record in records.dropFirst() where record.fields.count != header.count {
            throw DatasetError(file: file, line: record.line, "\(record.fields.count) fields, the header has \(header.count)")
        }
        rows = records.dropFirst().map(\.fields)
    }

    /// The index of column `name`, or an error naming the file.
    public func column(_ name: String, file: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw DatasetError(file: file, "no column \"\(name)\"") }
        return index
    }
}
