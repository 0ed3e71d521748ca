import CPostgres
import Foundation

/// One connection to PostgreSQL through libpq (Debian's libpq-dev), used blocking from one thread
/// at a time: the store runs each connection on a thread of its own, so a slow or unreachable
/// server never blocks an event loop. Parameters go as text, byte arrays as `bytea` in binary;
/// results come back as text.
final class PostgresConnection {
    private var connection: OpaquePointer?
    let url: String

    /// Connects (within `connectTimeout` seconds); UNAVAILABLE when the server cannot be reached.
    init(url: String, connectTimeout: Int = 3) throws(StoreError) {
        self.url = url
        let separator = url.contains("?") ? "&" : "?"
        let withTimeout = url.contains("connect_timeout") ? url : "\(url)\(separator)connect_timeout=\(connectTimeout)"
        connection = PQconnectdb(withTimeout)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            connection = nil
            throw .unavailable("cannot connect to PostgreSQL (\(Self.redacted(url))): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        _ = try execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(connection) }

    /// Whether the connection is still up (a failed statement may have found it broken).
    var isOpen: Bool { PQstatus(connection) == CONNECTION_OK }

    /// A parameter of a statement.
    enum Value {
        case null
        case text(String)
        case bytes([UInt8])

        static func int(_ value: Int64) -> Value { .text(String(value)) }
        static func double(_ value: Double) -> Value { .text(value.isFinite ? "\(value)" : "0") }
        static func bool(_ value: Bool) -> Value { .text(value ? "true" : "false") }
    }

    /// Runs `sql` with `$1, $2, ...` bound to `parameters`; its rows, every value as text (nil for
    /// NULL). UNAVAILABLE when the connection is broken, FAILED when the statement is refused.
    @discardableResult
    func execute(_ sql: String, _ parameters: [Value] = []) throws(StoreError) -> [[String?]] {
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            throw .unavailable("PostgreSQL (\(Self.redacted(url))): the connection is down")
        }
        let result = Self.withParameters(parameters) { values, lengths, formats in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return Self.rows(result)
        default:
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            if PQstatus(connection) != CONNECTION_OK {
                throw .unavailable("PostgreSQL (\(Self.redacted(url))): \(message)")
            }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            if state.hasPrefix("23") { throw .conflict("PostgreSQL: \(message)") }
            throw .failed("PostgreSQL: \(message) (in: \(sql.prefix(80)))")
        }
    }

    /// Runs `sql`, one or more statements without parameters (a migration).
    func executeScript(_ sql: String) throws(StoreError) {
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            throw .unavailable("PostgreSQL (\(Self.redacted(url))): the connection is down")
        }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PQstatus(connection) == CONNECTION_OK ? .failed("PostgreSQL: \(message)") : .unavailable("PostgreSQL: \(message)")
        }
    }

    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private static func rows(_ result: OpaquePointer?) -> [[String?]] {
        let count = PQntuples(result), fields = PQnfields(result)
        return (0..<count).map { row in
            (0..<fields).map { field in
                PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
            }
        }
    }

    /// Calls `body` with libpq's parameter arrays (values, lengths, formats: text, or binary for bytes).
    private static func withParameters<T>(
        _ parameters: [Value],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> T
    ) -> T {
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = [], formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                buffers.append(strdup(text))
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
                }
                buffers.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        defer { for (buffer, format) in zip(buffers, formats) { if format == 1 { buffer?.deallocate() } else { free(buffer) } } }
        let values = buffers.map { UnsafePointer($0) }
        return values.withUnsafeBufferPointer { v in
            lengths.withUnsafeBufferPointer { l in formats.withUnsafeBufferPointer { f in body(v.baseAddress, l.baseAddress, f.baseAddress) } }
        }
    }

    /// `url` without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at, with: ":***")
    }
}

extension PostgresConnection {
    /// A bytea column read as text (`\x` and hex digits) back into bytes.
    static func bytes(_ text: String?) -> [UInt8]? {
        guard let text, text.hasPrefix("\\x") else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((text.utf8.count - 2) / 2)
        var high: UInt8?
        for c in text.utf8.dropFirst(2) {
            let nibble: UInt8 = switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: 0
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}
