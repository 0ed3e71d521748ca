import Foundation
import Wire

/// Work an async caller hands to one of the store's threads: it runs on the thread's resource (a
/// database connection) or fails without it. Database calls block, so they never run on an event
/// loop; the caller suspends until its job has run.
struct BlockingJob<Resource>: Sendable {
    let run: @Sendable (Resource) throws(StoreError) -> Void
    let failed: @Sendable (RPCError) -> Void

    /// Queues `body` through `enqueue` (false when the threads are stopping: UNAVAILABLE with
    /// `closing`), wakes a thread with `wake`, and returns what `body` returned on the thread.
    static func perform<T: Sendable>(
        _ body: @escaping @Sendable (Resource) throws(StoreError) -> T,
        enqueue: (BlockingJob) -> Bool, wake: NSCondition, closing: String
    ) async throws(RPCError) -> T {
        let result: Result<T, RPCError> = await withCheckedContinuation { continuation in
            let job = BlockingJob(
                run: { resource throws(StoreError) in continuation.resume(returning: .success(try body(resource))) },
                failed: { continuation.resume(returning: .failure($0)) })
            guard enqueue(job) else { return continuation.resume(returning: .failure(RPCError(.unavailable, closing))) }
            wake.lock()
            wake.signal()
            wake.unlock()
        }
        return try result.get()
    }
}
