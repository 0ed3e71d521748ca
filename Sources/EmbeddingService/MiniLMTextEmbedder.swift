import Foundation
import MiniLM
import Synchronization

/// all-MiniLM-L6-v2 for the embedding service: concurrent requests are gathered into one forward
/// pass (for up to `window` after the first arrives, or until `maxBatch` texts wait) on a thread
/// of its own, never on an event loop or the task executor.
public final class MiniLMTextEmbedder: TextEmbedder {
    public let model: MiniLMEmbedder
    /// How long the first waiting request waits for others to share its pass.
    public let window: Duration
    /// The most texts one pass takes (a larger request goes alone).
    public let maxBatch: Int

    private struct Pending {
        let texts: [String]
        let continuation: CheckedContinuation<[Embedding], Never>
    }

    private let waiting = Mutex<[Pending]>([])
    private let signal = NSCondition()

    public var name: String { "minilm" }
    public var version: String { model.version }
    public var dimension: Int { MiniLMEmbedder.dimension }

    public init(model: MiniLMEmbedder, window: Duration = .milliseconds(2), maxBatch: Int = 32) {
        self.model = model
        self.window = window
        self.maxBatch = maxBatch
        let thread = Thread { [unowned self] in self.work() }
        thread.name = "minilm"
        thread.start()
    }

    public func embed(_ texts: [String]) async throws -> [Embedding] {
        await withCheckedContinuation { continuation in
            waiting.withLock { $0.append(Pending(texts: texts, continuation: continuation)) }
            signal.lock()
            signal.signal()
            signal.unlock()
        }
    }

    /// Texts waiting now.
    private var backlog: Int { waiting.withLock { $0.reduce(0) { $0 + $1.texts.count } } }

    /// The worker: waits for a request, gives others `window` to join, embeds whole requests
    /// up to `maxBatch` texts in one pass, answers them, repeats.
    private func work() {
        while true {
            signal.lock()
            while waiting.withLock({ $0.isEmpty }) { signal.wait() }
            let deadline = Date(timeIntervalSinceNow: Double(window.components.attoseconds) / 1e18 + Double(window.components.seconds))
            while backlog < maxBatch, signal.wait(until: deadline) {}
            signal.unlock()
            let batch = waiting.withLock { waiting -> [Pending] in
                var taken = 0, count = 0
                while count < waiting.count, taken == 0 || taken + waiting[count].texts.count <= maxBatch {
                    taken += waiting[count].texts.count
                    count += 1
                }
                defer { waiting.removeFirst(count) }
                return Array(waiting[..<count])
            }
            let (vectors, truncated) = model.embed(batch.flatMap(\.texts))
            var offset = 0
            for pending in batch {
                let range = offset..<offset + pending.texts.count
                pending.continuation.resume(returning: range.map { Embedding(vector: vectors[$0], truncated: truncated[$0]) })
                offset = range.upperBound
            }
        }
    }
}
