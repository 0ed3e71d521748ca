import Synchronization

/// Workers that call a service in a loop until told to stop, counting what succeeds: tests wait
/// on those counts (observable progress), never on the clock, so they hold on a loaded machine.
final class LoadWorkers<Result: Sendable>: Sendable {
    private let succeeded = Atomic<Int>(0)
    private let state = Mutex<(results: [Result], failures: [String], stop: Bool)>(([], [], false))
    private let tasks: Mutex<[Task<Void, Never>]> = Mutex([])

    /// Starts `count` workers; worker `w` calls `body(i)` for i = w, w + count, ...
    init(count: Int, _ body: @escaping @Sendable (Int) async throws -> Result) {
        let tasks = (0..<count).map { worker in
            Task {
                var i = worker
                while !self.state.withLock({ $0.stop }) {
                    do {
                        let result = try await body(i)
                        self.state.withLock { $0.results.append(result) }
                        self.succeeded.add(1, ordering: .relaxed)
                    } catch {
                        self.state.withLock { $0.failures.append("\(error)") }
                    }
                    i += count
                }
            }
        }
        self.tasks.withLock { $0 = tasks }
    }

    /// Calls that succeeded so far.
    var successes: Int { succeeded.load(ordering: .relaxed) }

    /// Waits until `more` further calls have succeeded.
    func waitForProgress(_ more: Int) async throws {
        let target = successes + more
        while successes < target { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Stops the workers, waits for them, and returns every result and failure.
    func stop() async -> (results: [Result], failures: [String]) {
        state.withLock { $0.stop = true }
        for task in tasks.withLock({ $0 }) { await task.value }
        return state.withLock { ($0.results, $0.failures) }
    }
}
