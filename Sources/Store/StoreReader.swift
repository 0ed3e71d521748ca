import Foundation
import Wire

/// Reads for the dashboard and for explanations, on a connection of their own and a thread of
/// their own: a slow read never holds up the writer that commits answers' records (the request
/// path). Opened on a store the gateway's `OutcomeStore` has already migrated (SQLite read-only).
public final class StoreReader: Sendable {
    public let location: StoreLocation
    private let queue = DispatchQueue(label: "switchyard.store-reader")
    private let backend: Confined

    /// The backend, touched only on `queue`.
    private final class Confined: @unchecked Sendable {
        let backend: any LearningBackend
        init(_ backend: any LearningBackend) { self.backend = backend }
    }

    public init(_ location: StoreLocation) throws(RPCError) {
        self.location = location
        do throws(StoreError) {
            switch location {
            case .sqlite(let path): backend = Confined(try SQLiteBackend(path: path, readOnly: true))
            case .postgres(let url): backend = Confined(try PostgresBackend(url: url))
            }
        } catch {
            throw error.rpcError
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (any LearningBackend) throws(StoreError) -> T) async throws(RPCError) -> T {
        let backend = self.backend
        let result: Result<T, RPCError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(StoreError) {
                    continuation.resume(returning: .success(try body(backend.backend)))
                } catch {
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

    /// Feedback since `sinceMs` per model, nearest cluster and source.
    public func quality(sinceMs: Int64) async throws(RPCError) -> [QualityCell] {
        try await run { backend throws(StoreError) in try backend.quality(sinceMs: sinceMs) }
    }

    /// The router versions the learner published, newest first.
    public func versions(limit: Int) async throws(RPCError) -> [RouterVersion] {
        try await run { backend throws(StoreError) in try backend.versions(limit: limit) }
    }
}
