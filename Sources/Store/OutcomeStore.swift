import Foundation
import Logging
import Wire

/// Where the outcome store lives: one SQLite file (the embedded default, one machine) or a
/// PostgreSQL database (shared by several gateways and the learner).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// Parses `sqlite:PATH`, a bare path, or `postgres://...` / `postgresql://...`.
    public init(parsing text: String) throws(RPCError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            let path = text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text
            guard !path.isEmpty else { throw RPCError(.invalidArgument, "--store: expected sqlite:PATH or postgres://..., got \"\(text)\"") }
            self = .sqlite(path: path)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): PostgresConnection.redacted(url)
        }
    }

    /// Creates schema `name` in the PostgreSQL database at `url` (a tenant of its own for a
    /// deployment, or a test's; give the store `url` with `options=-c search_path=NAME`).
    public static func createSchema(_ name: String, at url: String) throws(RPCError) {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty else {
            throw RPCError(.invalidArgument, "a schema name is letters, digits and underscores, got \"\(name)\"")
        }
        do {
            try PostgresConnection(url: url).execute("CREATE SCHEMA IF NOT EXISTS \(name)")
        } catch {
            throw error.rpcError
        }
    }
}

/// The durable record of what the gateway answered and how it went: one record per answer,
/// feedback on them, and each API key's spend per day. Every write returns once it is committed
/// (nothing acknowledged is lost when the process is killed); writes are batched on the store's
/// own thread, off the request path. Reads for tools (`switchyard outcomes`) open their own
/// connection.
public final class OutcomeStore: Sendable {
    public let location: StoreLocation
    let writer: StoreWriter

    /// How SQLite commits reach the disk.
    public enum Durability: String, Sendable, CaseIterable {
        /// A commit survives the process being killed (the default).
        case process
        /// A commit survives the machine losing power too (an fsync per commit).
        case power

        var synchronous: SQLiteDatabase.Synchronous { self == .power ? .full : .normal }
    }

    /// Opens the store (creating and migrating its schema); for PostgreSQL, records wait in
    /// `spillPath` (a local SQLite file) while the database cannot be reached.
    public init(
        _ location: StoreLocation, durability: Durability = .process, spillPath: String? = nil,
        logger: Logger = Logger(label: "switchyard.store")
    ) throws(RPCError) {
        self.location = location
        let connect: @Sendable () throws(StoreError) -> any StoreBackend
        switch location {
        case .sqlite(let path):
            connect = { () throws(StoreError) in
                let backend = try SQLiteBackend(path: path, synchronous: durability.synchronous)
                try backend.migrate()
                return backend
            }
            // Fail at start-up on a file that cannot be opened or migrated, not on the first write.
            do { _ = try connect() } catch { throw error.rpcError }
        case .postgres(let url):
            connect = { () throws(StoreError) in
                let backend = try PostgresBackend(url: url)
                try backend.migrate()
                return backend
            }
        }
        writer = StoreWriter(name: location.description, connect: connect, spillPath: spillPath, logger: logger)
    }

    /// Writes `record`; returns once it is committed (or kept in the spill file). `settling`: the
    /// id of the budget hold (PostgreSQL's shared book) its cost replaces, let go in the same
    /// transaction.
    public func record(_ record: OutcomeRecord, settling: String? = nil) async throws(RPCError) {
        _ = try await writer.write(.outcome(record, settling: settling))
    }

    /// Writes `feedback` after checking it: NOT_FOUND for an unknown (or pruned) request id,
    /// PERMISSION_DENIED when the key that made the request is not the one rating it,
    /// INVALID_ARGUMENT for a score outside [0, 1] or a comment over the limit.
    public func feedback(_ feedback: FeedbackRecord) async throws(RPCError) -> FeedbackOutcome {
        guard feedback.score >= 0, feedback.score <= 1 else {
            throw RPCError(.invalidArgument, "score must be a number in [0, 1], got \(feedback.score)")
        }
        if let comment = feedback.comment, comment.count > StoreSchema.maxCommentCharacters {
            throw RPCError(.invalidArgument, "comment has \(comment.count) characters, over the limit of \(StoreSchema.maxCommentCharacters)")
        }
        switch try await writer.write(.feedback(feedback)) {
        case .feedback(let outcome): return outcome
        case .refused(let error): throw error
        case .written: return .recorded
        }
    }

    /// Adds `usd` to what `key` spent on UTC day `day` (spending that is not an answer's record:
    /// the judge's grading); returns once committed.
    public func book(spendUSD usd: Double, key: String, day: Int) async throws(RPCError) {
        _ = try await writer.write(.spend(key: key, day: day, usd: usd))
    }

    /// Dollars each key spent on UTC day `day`.
    public func spend(day: Int) async throws(RPCError) -> [String: Double] {
        try await writer.perform { backend throws(StoreError) in try backend.spend(day: day) }
    }

    /// Answers that explored created since `sinceMs`, and what they cost.
    public func exploration(sinceMs: Int64) async throws(RPCError) -> (answers: Int, usd: Double) {
        try await writer.perform { backend throws(StoreError) in
            guard let backend = backend as? any LearningBackend else { throw StoreError.failed("\(backend.name) keeps no learning data") }
            return try backend.exploration(sinceMs: sinceMs)
        }
    }

    /// Records created in [fromMs, toMs), oldest first, with their feedback; at most `limit`.
    public func outcomes(fromMs: Int64, toMs: Int64, limit: Int) async throws(RPCError) -> [StoredOutcome] {
        try await writer.perform { backend throws(StoreError) in try backend.outcomes(fromMs: fromMs, toMs: toMs, limit: limit) }
    }

    /// One record with its feedback; nil when there is none.
    public func outcome(id: String) async throws(RPCError) -> StoredOutcome? {
        try await writer.perform { backend throws(StoreError) in try backend.outcome(id: id) }
    }

    /// Applies the retention: records older than `maxAge` go, then the oldest until the records
    /// take at most `maxBytes`. Returns how many went.
    public func prune(maxAge: Duration, maxBytes: Int64?) async throws(RPCError) -> Int {
        let cutoff = OutcomeRecord.nowMs() - Int64(maxAge.components.seconds * 1000)
        return try await writer.perform { backend throws(StoreError) in try backend.prune(beforeMs: cutoff, maxBytes: maxBytes) }
    }

    /// Bytes the records and feedback take now.
    public func usedBytes() async throws(RPCError) -> Int64 {
        try await writer.perform { backend throws(StoreError) in try backend.usedBytes() }
    }

    /// What the store has done: writes committed, refused, records waiting in the spill file.
    public var status: Status {
        let s = writer.status
        return Status(
            location: location.description, written: s.written, batches: s.batches, pending: s.pending, refused: s.refused,
            failed: s.failed, unavailable: s.unavailable, spilled: s.spilled, meanCommitMs: s.meanCommitMs)
    }

    /// Counters of the store since it opened.
    public struct Status: Sendable, Equatable {
        public var location: String
        public var written: Int64
        public var batches: Int64
        public var pending: Int
        /// Writes refused at once: the queue was full, or the database away (feedback).
        public var refused: Int64
        public var failed: Int64
        /// Times the database could not be reached.
        public var unavailable: Int64
        /// Records waiting in the spill file for the database.
        public var spilled: Int64
        public var meanCommitMs: Double
    }

    /// Commits what waits and closes the connection.
    public func close() { writer.close() }
}

/// Reading a store directly, for tools (`switchyard outcomes`): a connection of its own on the
/// calling thread, no writer.
public final class OutcomeReader {
    private let backend: any StoreBackend

    public init(_ location: StoreLocation) throws(RPCError) {
        do throws(StoreError) {
            backend = try StoreSchema.openForReading(location)
        } catch {
            throw error.rpcError
        }
    }

    /// Records created in [fromMs, toMs), oldest first, with their feedback, `batch` at a time.
    public func outcomes(fromMs: Int64 = .min, toMs: Int64 = .max, batch: Int = 1000, _ body: ([StoredOutcome]) throws -> Void) throws {
        var from = fromMs
        var seen = Set<String>()
        while true {
            let page = try backend.outcomes(fromMs: from, toMs: toMs, limit: batch).filter { !seen.contains($0.record.id) }
            if page.isEmpty { return }
            try body(page)
            from = page.last!.record.createdMs
            seen = Set(page.filter { $0.record.createdMs == from }.map(\.record.id))
        }
    }
}
