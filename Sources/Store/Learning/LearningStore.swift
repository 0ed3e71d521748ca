import Foundation
import Wire

/// A score the learner learns from: the feedback row (in commit order, `seq`) with what its
/// answer's record says (the model that answered, what it cost, the routed embedding).
public struct LearningObservation: Sendable, Equatable {
    /// The feedback's place in commit order.
    public var seq: Int64
    public var id: String
    public var score: Double
    public var source: FeedbackRecord.Source
    /// nil when no model answered (nothing to learn about).
    public var model: String?
    public var costUSD: Double
    public var latencyMs: Double
    /// nil when the gateway records no embeddings (`--record-prompts none`): not learnable.
    public var embedding: [Float]?
    /// The router version that decided.
    public var routerVersion: String?
    public var explored: Bool

    public init(
        seq: Int64, id: String, score: Double, source: FeedbackRecord.Source, model: String?, costUSD: Double, latencyMs: Double,
        embedding: [Float]?, routerVersion: String?, explored: Bool
    ) {
        (self.seq, self.id, self.score, self.source, self.model, self.costUSD) = (seq, id, score, source, model, costUSD)
        (self.latencyMs, self.embedding, self.routerVersion, self.explored) = (latencyMs, embedding, routerVersion, explored)
    }
}

/// A router version the learner published: a whole router file, and what it was learned from.
public struct RouterVersion: Sendable, Equatable {
    /// Publication order.
    public var seq: Int64
    public var version: String
    public var createdMs: Int64
    /// The last feedback (by `seq`) it learned from.
    public var feedbackSeq: Int64
    /// Scores learned from, in all.
    public var observations: Int64
    /// One line: what changed.
    public var summary: String
    /// The router file's bytes (empty in listings).
    public var routerFile: [UInt8]

    public init(seq: Int64 = 0, version: String, createdMs: Int64, feedbackSeq: Int64, observations: Int64, summary: String, routerFile: [UInt8]) {
        (self.seq, self.version, self.createdMs, self.feedbackSeq, self.observations, self.summary, self.routerFile) =
            (seq, version, createdMs, feedbackSeq, observations, summary, routerFile)
    }
}

/// The learner's side of a store, on SQLite or PostgreSQL.
protocol LearningBackend: StoreBackend {
    /// Feedback with seq > `after` or in `gaps`, in seq order, at most `limit`.
    func observations(after: Int64, gaps: [Int64], limit: Int) throws(StoreError) -> [LearningObservation]
    func insert(_ version: RouterVersion) throws(StoreError) -> Int64
    /// The newest `limit` versions, newest first, without their files.
    func versions(limit: Int) throws(StoreError) -> [RouterVersion]
    /// One version with its file (the newest when `name` is nil).
    func version(named name: String?) throws(StoreError) -> RouterVersion?
    /// Takes or renews the learner's lease for `holder` until `expiresMs` unless another holder's
    /// is still live at `nowMs`; returns the holder of the lease afterwards.
    func lease(holder: String, nowMs: Int64, expiresMs: Int64) throws(StoreError) -> String?
    func releaseLease(holder: String) throws(StoreError)
    /// The version operators pinned (`switchyard router rollback`); nil when the learner publishes.
    func pinned() throws(StoreError) -> String?
    func pin(_ version: String?) throws(StoreError)
    /// Answers that explored created since `sinceMs`, and what they cost.
    func exploration(sinceMs: Int64) throws(StoreError) -> (answers: Int, usd: Double)
}

/// The learner's access to the store (and the tools': `switchyard router versions|rollback`): a
/// connection of its own on the calling thread, schema migrated on open.
public final class LearningStore {
    private let backend: any LearningBackend
    public let location: StoreLocation

    public init(_ location: StoreLocation) throws(RPCError) {
        self.location = location
        do throws(StoreError) {
            switch location {
            case .sqlite(let path):
                let sqlite = try SQLiteBackend(path: path)
                try sqlite.migrate()
                backend = sqlite
            case .postgres(let url):
                let postgres = try PostgresBackend(url: url)
                try postgres.migrate()
                backend = postgres
            }
        } catch {
            throw error.rpcError
        }
    }

    private func run<T>(_ body: () throws(StoreError) -> T) throws(RPCError) -> T {
        do throws(StoreError) { return try body() } catch { throw error.rpcError }
    }

    public func observations(after seq: Int64, gaps: [Int64] = [], limit: Int = 5000) throws(RPCError) -> [LearningObservation] {
        try run { () throws(StoreError) in try backend.observations(after: seq, gaps: gaps, limit: limit) }
    }

    /// Keeps `version`; returns its publication number. A version name used before is refused.
    @discardableResult
    public func save(_ version: RouterVersion) throws(RPCError) -> Int64 {
        try run { () throws(StoreError) in try backend.insert(version) }
    }

    public func versions(limit: Int = 20) throws(RPCError) -> [RouterVersion] {
        try run { () throws(StoreError) in try backend.versions(limit: limit) }
    }

    /// The version named `name` (the newest when nil), with its router file.
    public func version(named name: String? = nil) throws(RPCError) -> RouterVersion? {
        try run { () throws(StoreError) in try backend.version(named: name) }
    }

    /// Takes (or renews) the one learner's lease; returns who holds it afterwards (`holder` when
    /// this one does).
    public func lease(holder: String, for duration: Duration) throws(RPCError) -> String? {
        let now = OutcomeRecord.nowMs()
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return try run { () throws(StoreError) in try backend.lease(holder: holder, nowMs: now, expiresMs: now + ms) }
    }

    public func releaseLease(holder: String) throws(RPCError) {
        try run { () throws(StoreError) in try backend.releaseLease(holder: holder) }
    }

    public func pinned() throws(RPCError) -> String? {
        try run { () throws(StoreError) in try backend.pinned() }
    }

    /// Pins `version` (replicas serve it, the learner keeps learning but publishes nothing) or,
    /// with nil, lets the learner publish again.
    public func pin(_ version: String?) throws(RPCError) {
        try run { () throws(StoreError) in try backend.pin(version) }
    }

    /// Answers that explored since `sinceMs` and their cost in dollars.
    public func exploration(sinceMs: Int64) throws(RPCError) -> (answers: Int, usd: Double) {
        try run { () throws(StoreError) in try backend.exploration(sinceMs: sinceMs) }
    }
}
