import Foundation
import Wire

/// Reads for the dashboard and for explanations, on a connection of their own and a thread of
/// their own: a slow read never holds up the writer that commits answers' records (the request
/// path). Opened on a store the gateway's `OutcomeStore` has already migrated (SQLite read-only).
public final class StoreReader: Sendable {
    public let location: StoreLocation
    private let queue = DispatchQueue(label: "switchyard.store-reader")
    private let backend: Confined

    /// The connection, opened on first use and again after a failed read (a PostgreSQL server
    /// that was away when the gateway started, or went away since); touched only on `queue`.
    private final class Confined: @unchecked Sendable {
        let location: StoreLocation
        var backend: (any LearningBackend)?
        init(_ location: StoreLocation) { self.location = location }

        func open() throws(StoreError) -> any LearningBackend {
            if let backend { return backend }
            let opened = try StoreSchema.openForReading(location)
            backend = opened
            return opened
        }
    }

    /// Connects when first asked to read (the gateway starts whether or not the database answers).
    public init(_ location: StoreLocation) {
        self.location = location
        backend = Confined(location)
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (any LearningBackend) throws(StoreError) -> T) async throws(RPCError) -> T {
        let confined = self.backend
        let result: Result<T, RPCError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(StoreError) {
                    continuation.resume(returning: .success(try body(try confined.open())))
                } catch {
                    confined.backend = nil
                    continuation.resume(returning: .failure(error.rpcError))
                }
            }
        }
        return try result.get()
    }

    /// One record with its feedback; nil when there is none.
    public func outcome(id: String) async throws(RPCError) -> StoredOutcome? {
        try await run { backend throws(StoreError) in try backend.outcome(id: id) }
    }

    /// The newest `limit` records, newest first.
    public func recent(limit: Int) async throws(RPCError) -> [OutcomeRecord] {
        try await run { backend throws(StoreError) in try backend.recent(limit: limit) }
    }

    /// The latest `latest` scores since `sinceMs` (so a read costs the same at any rate of
    /// feedback), per model, nearest cluster and source.
    public func quality(sinceMs: Int64, latest: Int = 20_000) async throws(RPCError) -> [QualityCell] {
        try await run { backend throws(StoreError) in try backend.quality(sinceMs: sinceMs, latest: latest) }
    }

    /// The router versions the learner published, newest first.
    public func versions(limit: Int) async throws(RPCError) -> [RouterVersion] {
        try await run { backend throws(StoreError) in try backend.versions(limit: limit) }
    }
}
