import Foundation
import MiniLM
import Synchronization
import Wire

/// all-MiniLM-L6-v2 for the embedding service: concurrent requests are gathered into one forward
/// pass (for up to `window` after the first arrives, or until `maxBatch` texts wait) on a thread
/// of its own, never on an event loop or the task executor. A request whose deadline has passed
/// when its pass would start is answered DEADLINE_EXCEEDED instead of computed, so a backlog
/// of abandoned requests cannot make every later request late too. The thread ends when the
/// embedder is released.
public final class MiniLMTextEmbedder: TextEmbedder {
    public let model: MiniLMEmbedder
    /// How long the first waiting request waits for others to share its pass.
    public let window: Duration
    /// The most texts one pass takes (a larger request goes alone).
    public let maxBatch: Int
    private let queue: BatchQueue

    public var name: String { "minilm" }
    public var version: String { model.version }
    public var dimension: Int { MiniLMEmbedder.dimension }
    /// Forward passes run so far (fewer than requests when requests shared a pass).
    public var passes: Int { queue.passes.load(ordering: .relaxed) }

    public init(model: MiniLMEmbedder, window: Duration = .milliseconds(2), maxBatch: Int = 32) {
        self.model = model
        self.window = window
        self.maxBatch = maxBatch
        let queue = BatchQueue(window: window, maxBatch: maxBatch)
        self.queue = queue
        let thread = Thread { queue.work(model) }
        thread.name = "minilm"
        thread.start()
    }

    deinit { queue.close() }

    public func embed(_ texts: [String], deadline: ContinuousClock.Instant?) async throws -> [Embedding] {
        try await withCheckedThrowingContinuation { queue.add(texts, deadline: deadline, $0) }
    }
}

/// The requests waiting for a pass, and the worker loop that takes them; the worker thread
/// owns this, not the embedder, so releasing the embedder can stop it.
private final class BatchQueue: Sendable {
    struct Pending {
        let texts: [String]
        let deadline: ContinuousClock.Instant?
        let continuation: CheckedContinuation<[Embedding], any Error>
    }

    let window: Duration, maxBatch: Int
    let passes = Atomic<Int>(0)
    private let state = Mutex<(waiting: [Pending], closed: Bool)>(([], false))
    private let signal = NSCondition()

    init(window: Duration, maxBatch: Int) {
        self.window = window
        self.maxBatch = maxBatch
    }

    func add(_ texts: [String], deadline: ContinuousClock.Instant?, _ continuation: CheckedContinuation<[Embedding], any Error>) {
        state.withLock { $0.waiting.append(Pending(texts: texts, deadline: deadline, continuation: continuation)) }
        wake()
    }

    func close() {
        state.withLock { $0.closed = true }
        wake()
    }

    private func wake() {
        signal.lock()
        signal.signal()
        signal.unlock()
    }

    /// Texts waiting now.
    private var backlog: Int { state.withLock { $0.waiting.reduce(0) { $0 + $1.texts.count } } }

    /// Waits for a request, gives others `window` to join, embeds whole requests up to
    /// `maxBatch` texts in one pass, answers them, repeats until closed (answering what waits).
    func work(_ model: MiniLMEmbedder) {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        while true {
            signal.lock()
            while state.withLock({ $0.waiting.isEmpty && !$0.closed }) { signal.wait() }
            let deadline = Date(timeIntervalSinceNow: seconds)
            while backlog < maxBatch, !state.withLock({ $0.closed }), signal.wait(until: deadline) {}
            signal.unlock()
            let (batch, closed) = state.withLock { state -> ([Pending], Bool) in
                var taken = 0, count = 0
                while count < state.waiting.count, taken == 0 || taken + state.waiting[count].texts.count <= maxBatch {
                    taken += state.waiting[count].texts.count
                    count += 1
                }
                defer { state.waiting.removeFirst(count) }
                return (Array(state.waiting[..<count]), state.closed && state.waiting.count == count)
            }
            if !batch.isEmpty { run(batch, model) }
            if closed { return }
        }
    }

    private func run(_ taken: [Pending], _ model: MiniLMEmbedder) {
        let now = ContinuousClock.now
        let batch = taken.filter { pending in
            guard let deadline = pending.deadline, deadline <= now else { return true }
            pending.continuation.resume(throwing: RPCError(.deadlineExceeded, "the deadline passed while the text waited for the model"))
            return false
        }
        guard !batch.isEmpty else { return }
        let (vectors, truncated) = model.embed(batch.flatMap(\.texts))
        passes.add(1, ordering: .relaxed)
        var offset = 0
        for pending in batch {
            let range = offset..<offset + pending.texts.count
            pending.continuation.resume(returning: range.map { Embedding(vector: vectors[$0], truncated: truncated[$0]) })
            offset = range.upperBound
        }
    }
}
