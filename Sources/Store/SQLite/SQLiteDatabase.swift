import CSQLite
import Foundation

/// One connection to an SQLite database file, through the C API. Not thread-safe: a connection
/// belongs to one thread at a time (the store gives its writer and its readers their own).
///
/// Opened in WAL mode: readers never wait for the writer, and a committed transaction is in the
/// WAL file when `commit` returns, so it survives the process being killed (with `synchronous`
/// NORMAL; FULL also survives the machine losing power, at an fsync per commit).
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// How commits reach the disk.
    enum Synchronous: String, Sendable {
        /// Durable when the process dies; the last commits may be lost if the machine does.
        case normal = "NORMAL"
        /// Durable when the machine dies too (an fsync per commit).
        case full = "FULL"
    }

    init(path: String, synchronous: Synchronous = .normal, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        handle = db
        guard code == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            handle = nil
            throw .unavailable("cannot open the SQLite store \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 5000)
        if !readOnly {
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = \(synchronous.rawValue)")
        }
        try execute("PRAGMA foreign_keys = ON")
    }

    deinit {
        statements.removeAll()  // finalized before the connection closes
        sqlite3_close_v2(handle)
    }

    /// Runs `sql` (one or more statements, no parameters, rows ignored).
    func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw .failed("SQLite \(path): \(message) (in: \(sql.prefix(80)))")
        }
    }

    /// The prepared statement of `sql`, kept for reuse (parameters bound afresh each time).
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
            throw .failed("SQLite \(path): cannot prepare \(sql.prefix(80)): \(lastError)")
        }
        let statement = SQLiteStatement(prepared, database: self)
        statements[sql] = statement
        return statement
    }

    /// Every row `sql` gives with `values` bound, each read by `row`; the statement is reset
    /// afterwards, so no read transaction stays open on the connection (a cached statement left
    /// mid-rows would keep one, and a later write would then hold the write lock until it ends).
    func rows<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteStatement) -> T) throws(StoreError) -> [T] {
        let statement = try self.statement(sql).bind(values)
        defer { statement.reset() }
        var found: [T] = []
        while try statement.step() { found.append(row(statement)) }
        return found
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE: the write lock is taken up front);
    /// commits when it returns, rolls back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// The bytes of the database's pages in use (not counting free pages).
    func usedBytes() throws(StoreError) -> Int64 {
        func pragma(_ name: String) throws(StoreError) -> Int64 {
            try rows("PRAGMA \(name)") { $0.int(0) }.first ?? 0
        }
        let pages = try pragma("page_count"), free = try pragma("freelist_count"), size = try pragma("page_size")
        return (pages - free) * size
    }
}

/// A value bound to a statement's parameter.
enum SQLiteValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// A prepared statement of one connection: bind, step through the rows, read columns.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears the bindings and rewinds, for another run.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values` to the parameters ?1, ?2, ... in order.
    @discardableResult
    func bind(_ values: [SQLiteValue]) throws(StoreError) -> SQLiteStatement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32 = switch value {
            case .null: sqlite3_bind_null(handle, index)
            case .int(let v): sqlite3_bind_int64(handle, index, v)
            case .double(let v): sqlite3_bind_double(handle, index, v)
            case .text(let v): sqlite3_bind_text(handle, index, v, -1, Self.transient)
            case .blob(let v): v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard code == SQLITE_OK else { throw .failed("SQLite: cannot bind parameter \(index): \(database.lastError)") }
        }
        return self
    }

    /// Advances to the next row: true when there is one, false when the statement is done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            sqlite3_reset(handle)  // finished: it holds no read transaction open
            return false
        case SQLITE_CONSTRAINT: throw .conflict("SQLite: \(database.lastError)")
        default: throw .failed("SQLite \(database.path): \(database.lastError)")
        }
    }

    /// Runs the statement to its end (for statements without rows).
    func run() throws(StoreError) {
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }

    func blob(_ column: Int32) -> [UInt8]? {
        guard let pointer = sqlite3_column_blob(handle, column) else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
    }

    /// SQLite copies bound text and blobs (SQLITE_TRANSIENT, a macro Swift cannot see).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
