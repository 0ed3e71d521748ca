import Foundation
import Synchronization
import Wire

/// A few threads, each with its own PostgreSQL connection, running blocking jobs for async
/// callers: request-path work (budget holds) never blocks an event loop or waits behind the
/// store's batched writes. A job that finds the database unreachable fails UNAVAILABLE at once;
/// the next job reconnects.
final class PostgresWorkers: Sendable {
    private typealias Job = BlockingJob<PostgresConnection>

    private let url: String
    private let jobs = Mutex<(queue: [Job], stopping: Bool)>(([], false))
    private let wake = NSCondition()

    init(url: String, count: Int) {
        self.url = url
        for index in 0..<max(1, count) {
            let thread = Thread { [self] in loop() }
            thread.name = "switchyard-pg-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on a worker's connection.
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws(StoreError) -> T) async throws(RPCError) -> T {
        try await Job.perform(body, enqueue: { job in
            jobs.withLock { jobs in
                guard !jobs.stopping else { return false }
                jobs.queue.append(job)
                return true
            }
        }, wake: wake, closing: "closing")
    }

    func close() {
        jobs.withLock { $0.stopping = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    private func loop() {
        var connection: PostgresConnection?
        while true {
            wake.lock()
            while jobs.withLock({ $0.queue.isEmpty && !$0.stopping }) { wake.wait() }
            wake.unlock()
            guard let job = jobs.withLock({ jobs -> Job? in jobs.queue.isEmpty ? nil : jobs.queue.removeFirst() }) else {
                if jobs.withLock({ $0.stopping }) { return }
                continue
            }
            do {
                if connection == nil || !(connection?.isOpen ?? false) { connection = try PostgresConnection(url: url) }
                try job.run(connection!)
            } catch {
                if case .unavailable = error { connection = nil }
                job.failed(error.rpcError)
            }
        }
    }
}
