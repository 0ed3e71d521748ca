import Foundation
import Logging
import Synchronization
import Wire

/// Writes to the store on a thread of its own, in batches (group commit): a write a caller submits
/// returns once the transaction holding it has committed, so a write that returned is durable;
/// writes that arrive while one commits go together in the next. The request path pays a queue
/// and a wake-up, never a database call on an event loop.
///
/// Bounded: at most `maxPending` writes wait (feedback at most `maxPendingFeedback` of them);
/// beyond, a write is refused at once (UNAVAILABLE, retry later), so a flood of feedback never
/// delays the records of answers.
///
/// When the database cannot be reached (PostgreSQL stopped), the writer reconnects every second;
/// meanwhile records go to `spill` (a local SQLite file: durable, bounded by `maxSpillBytes`) and
/// move to the database when it is back, and feedback is refused UNAVAILABLE (it cannot be checked
/// against its record): nothing is acknowledged and then dropped.
final class StoreWriter: Sendable {
    /// A write waiting for its transaction.
    private struct Pending {
        let write: StoreWrite
        let done: @Sendable (Result<StoreWriteResult, RPCError>) -> Void
    }

    /// A job the writer thread runs between batches (reads, pruning), on its connection.
    private typealias Job = BlockingJob<any StoreBackend>

    private struct Queue {
        var writes: [Pending] = []
        var jobs: [Job] = []
        var feedbackWaiting = 0
        var stopping = false
    }

    let name: String
    let maxPending: Int
    let maxPendingFeedback: Int
    let maxBatch: Int
    private let queue = Mutex(Queue())
    private let wake = NSCondition()
    private let connect: @Sendable () throws(StoreError) -> any StoreBackend
    private let spillPath: String?
    private let maxSpillBytes: Int64
    private let logger: Logger
    private let counters = StoreCounters()
    private let stopped = NSCondition()
    private let finished = Mutex(false)

    /// - Parameters:
    ///   - connect: opens (and migrates) a connection to the database; called again after it fails.
    ///   - spillPath: where records wait while the database is unreachable (nil: they are refused).
    init(
        name: String, connect: @escaping @Sendable () throws(StoreError) -> any StoreBackend, spillPath: String? = nil,
        maxSpillBytes: Int64 = 256 << 20, maxPending: Int = 65_536, maxPendingFeedback: Int = 16_384, maxBatch: Int = 2048,
        logger: Logger
    ) {
        self.name = name
        self.connect = connect
        self.spillPath = spillPath
        self.maxSpillBytes = maxSpillBytes
        self.maxPending = maxPending
        self.maxPendingFeedback = maxPendingFeedback
        self.maxBatch = maxBatch
        self.logger = logger
        let thread = Thread { [self] in loop() }
        thread.name = "switchyard-store"
        thread.start()
    }

    /// What the writer has done, for Status and /metrics.
    var status: StoreCounters.Snapshot { counters.snapshot(pending: queue.withLock { $0.writes.count }) }

    /// Submits `write`; `done` is called (on the writer's thread) once it is committed, refused,
    /// or cannot be kept.
    func submit(_ write: StoreWrite, done: @escaping @Sendable (Result<StoreWriteResult, RPCError>) -> Void) {
        let refusal: RPCError? = queue.withLock { queue in
            if queue.stopping { return RPCError(.unavailable, "the outcome store is closing") }
            if queue.writes.count >= maxPending {
                return RPCError(.unavailable, "the outcome store has \(maxPending) writes waiting; retry later")
            }
            if case .feedback = write {
                if queue.feedbackWaiting >= maxPendingFeedback {
                    return RPCError(.unavailable, "the outcome store has \(maxPendingFeedback) feedback writes waiting; retry later")
                }
                queue.feedbackWaiting += 1
            }
            queue.writes.append(Pending(write: write, done: done))
            return nil
        }
        if let refusal {
            counters.refused.add(1, ordering: .relaxed)
            return done(.failure(refusal))
        }
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    /// `write`, once committed.
    func write(_ write: StoreWrite) async throws(RPCError) -> StoreWriteResult {
        let result: Result<StoreWriteResult, RPCError> = await withCheckedContinuation { continuation in
            submit(write) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Runs `body` on the writer's connection between batches (reads that must see every
    /// committed write, pruning).
    func perform<T: Sendable>(_ body: @escaping @Sendable (any StoreBackend) throws(StoreError) -> T) async throws(RPCError) -> T {
        try await Job.perform(body, enqueue: { job in
            queue.withLock { queue in
                guard !queue.stopping else { return false }
                queue.jobs.append(job)
                return true
            }
        }, wake: wake, closing: "the outcome store is closing")
    }

    /// Stops taking writes, commits what waits, and ends the thread.
    func close() {
        queue.withLock { $0.stopping = true }
        wake.lock()
        wake.signal()
        wake.unlock()
        stopped.lock()
        while !finished.withLock({ $0 }) { stopped.wait() }
        stopped.unlock()
    }

    // MARK: - The writer thread

    private func loop() {
        var backend: (any StoreBackend)?
        var spill: SQLiteBackend?
        var nextConnect = Date.distantPast
        while true {
            wake.lock()
            while queue.withLock({ $0.writes.isEmpty && $0.jobs.isEmpty && !$0.stopping }) {
                // Wake at least every second while records wait in the spill for the database.
                if spill != nil { _ = wake.wait(until: Date().addingTimeInterval(1)); break }
                wake.wait()
            }
            wake.unlock()
            let (writes, jobs, stopping) = queue.withLock { queue -> ([Pending], [Job], Bool) in
                let taken = Array(queue.writes.prefix(maxBatch))
                queue.writes.removeFirst(taken.count)
                for pending in taken { if case .feedback = pending.write { queue.feedbackWaiting -= 1 } }
                defer { queue.jobs.removeAll() }
                return (taken, queue.jobs, queue.stopping)
            }
            if backend == nil, Date() >= nextConnect {
                do {
                    backend = try connect()
                    if spill != nil { logger.notice("outcome store reachable again; moving the spilled records", metadata: ["store": "\(name)"]) }
                } catch {
                    nextConnect = Date().addingTimeInterval(1)
                    counters.unavailable.add(1, ordering: .relaxed)
                    logger.warning("outcome store unreachable", metadata: ["store": "\(name)", "error": "\(error)"])
                }
            }
            if let current = backend, let waiting = spill {
                if drain(waiting, into: current) { spill = nil } else { backend = nil; nextConnect = Date().addingTimeInterval(1) }
            }
            for job in jobs {
                guard let current = backend else {
                    job.failed(RPCError(.unavailable, "the outcome store \(name) cannot be reached"))
                    continue
                }
                do { try job.run(current) } catch { job.failed(error.rpcError); if case .unavailable = error { backend = nil } }
            }
            if !writes.isEmpty {
                if let current = backend, commit(writes, to: current) {
                    // committed
                } else {
                    backend = nil
                    if nextConnect < Date() { nextConnect = Date().addingTimeInterval(1) }
                    spill = keep(writes, spill: spill)
                }
            }
            if stopping, queue.withLock({ $0.writes.isEmpty && $0.jobs.isEmpty }) { break }
        }
        finished.withLock { $0 = true }
        stopped.lock()
        stopped.broadcast()
        stopped.unlock()
    }

    /// Commits `writes` in one transaction and tells each caller; false when the database could
    /// not be reached (nobody told yet).
    private func commit(_ writes: [Pending], to backend: any StoreBackend) -> Bool {
        let started = ContinuousClock.now
        do {
            let results = try backend.apply(writes.map(\.write))
            counters.committed(writes.count, batch: started.duration(to: .now))
            for (pending, result) in zip(writes, results) { pending.done(.success(result)) }
            return true
        } catch .unavailable(let message) {
            logger.warning("outcome store unreachable while writing", metadata: ["store": "\(name)", "error": "\(message)"])
            counters.unavailable.add(1, ordering: .relaxed)
            return false
        } catch {
            counters.failed.add(Int64(writes.count), ordering: .relaxed)
            logger.error("outcome store write failed", metadata: ["store": "\(name)", "error": "\(error)"])
            for pending in writes { pending.done(.failure(error.rpcError)) }
            return true
        }
    }

    /// While the database is away: records into the spill file (durable), feedback refused.
    private func keep(_ writes: [Pending], spill: SQLiteBackend?) -> SQLiteBackend? {
        var spill = spill
        if spill == nil, let spillPath {
            do {
                let opened = try SQLiteBackend(path: spillPath)
                try opened.migrate()
                spill = opened
            } catch {
                logger.error("cannot open the spill file", metadata: ["path": "\(spillPath)", "error": "\(error)"])
            }
        }
        let unreachable = RPCError(.unavailable, "the outcome store \(name) cannot be reached; retry later")
        var records: [Pending] = []
        for pending in writes {
            if case .outcome = pending.write { records.append(pending) } else { pending.done(.failure(unreachable)) }
        }
        guard let spill, !records.isEmpty else {
            for pending in records { pending.done(.failure(unreachable)) }
            return spill
        }
        do {
            guard try spill.usedBytes() < maxSpillBytes else {
                throw StoreError.unavailable("the spill file \(spillPath ?? "") is full (\(maxSpillBytes) bytes)")
            }
            _ = try spill.apply(records.map(\.write))
            counters.spilled.add(Int64(records.count), ordering: .relaxed)
            for pending in records { pending.done(.success(.written)) }
        } catch {
            for pending in records { pending.done(.failure(RPCError(.unavailable, "\(unreachable.message); \(error)"))) }
        }
        return spill
    }

    /// Moves the spilled records into the database, oldest first; true once the spill is empty.
    private func drain(_ spill: SQLiteBackend, into backend: any StoreBackend) -> Bool {
        do {
            while true {
                let batch = try spill.outcomes(fromMs: .min, toMs: .max, limit: 1000)
                if batch.isEmpty { return true }
                _ = try backend.apply(batch.map { .outcome($0.record) })
                try spill.database.transaction { () throws(StoreError) in
                    for stored in batch { try spill.database.statement("DELETE FROM outcomes WHERE id = ?1").bind([.text(stored.record.id)]).run() }
                }
                counters.spilled.add(-Int64(batch.count), ordering: .relaxed)
            }
        } catch {
            logger.warning("moving spilled records failed; trying again", metadata: ["store": "\(name)", "error": "\(error)"])
            return false
        }
    }
}

/// What a writer has done since it started.
final class StoreCounters: Sendable {
    let written = Atomic<Int64>(0)
    let batches = Atomic<Int64>(0)
    let refused = Atomic<Int64>(0)
    let failed = Atomic<Int64>(0)
    let unavailable = Atomic<Int64>(0)
    /// Records waiting in the spill file now.
    let spilled = Atomic<Int64>(0)
    private let commitNanoseconds = Atomic<Int64>(0)

    func committed(_ writes: Int, batch: Duration) {
        written.add(Int64(writes), ordering: .relaxed)
        batches.add(1, ordering: .relaxed)
        commitNanoseconds.add(batch.components.seconds * 1_000_000_000 + batch.components.attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// The counters at one moment.
    struct Snapshot: Sendable, Equatable {
        var written: Int64
        var batches: Int64
        var refused: Int64
        var failed: Int64
        var unavailable: Int64
        var spilled: Int64
        var pending: Int
        /// Mean commit time of a batch, milliseconds.
        var meanCommitMs: Double
    }

    func snapshot(pending: Int) -> Snapshot {
        let batches = self.batches.load(ordering: .relaxed)
        return Snapshot(
            written: written.load(ordering: .relaxed), batches: batches, refused: refused.load(ordering: .relaxed),
            failed: failed.load(ordering: .relaxed), unavailable: unavailable.load(ordering: .relaxed),
            spilled: spilled.load(ordering: .relaxed), pending: pending,
            meanCommitMs: batches == 0 ? 0 : Double(commitNanoseconds.load(ordering: .relaxed)) / Double(batches) / 1e6)
    }
}
