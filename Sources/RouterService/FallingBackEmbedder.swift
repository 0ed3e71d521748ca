import Logging
import Metrics
import RPC
import RouterCore
import Synchronization
import Wire

/// Embeds through `primary` (the embedding service) and, while it cannot be reached, through
/// `fallback` (the in-process hash embedder, which gives the same vectors when the router file
/// was trained on hash embeddings), so routing goes on through an embedding-service outage.
///
/// Only an unreachable primary (UNAVAILABLE, DEADLINE_EXCEEDED) falls back; a primary that
/// answers with the wrong embedder still fails the request. Every fallen-back vector carries the
/// reason (RouteResponse.embedding_fallback), the outage is logged when it starts and ends, and
/// `switchyard_router_embedding_fallbacks_total` counts them. While the primary is down, one
/// request per `retryAfter` tries it again; the rest go straight to the fallback instead of each
/// waiting out the embed timeout.
public final class FallingBackEmbedder: PromptEmbedder {
    private struct Outage {
        var since: ContinuousClock.Instant
        var reason: String
        var nextTry: ContinuousClock.Instant
    }

    public let primary: any PromptEmbedder
    public let fallback: any PromptEmbedder
    public let retryAfter: Duration
    private let logger: Logger
    private let outage = Mutex<Outage?>(nil)
    private let fallbacks = Counter(label: "switchyard_router_embedding_fallbacks_total")

    public init(primary: any PromptEmbedder, fallback: any PromptEmbedder, retryAfter: Duration = .seconds(1), logger: Logger) {
        self.primary = primary
        self.fallback = fallback
        self.retryAfter = retryAfter
        self.logger = logger
    }

    public var source: String { "\(primary.source), falling back to \(fallback.source)" }

    /// Why the primary is being skipped now, nil when it is up (or due for another try; the
    /// caller that gets nil while it is down makes that try).
    private func skipPrimary(now: ContinuousClock.Instant) -> String? {
        outage.withLock { outage in
            guard var current = outage else { return nil }
            guard now >= current.nextTry else { return current.reason }
            current.nextTry = now + retryAfter
            outage = current
            return nil
        }
    }

    public func embed(_ prompt: String, for spec: EmbedderSpec, timeout: Duration) async throws -> PromptVector {
        if let reason = skipPrimary(now: .now) { return try await embedWithFallback(prompt, spec, reason: reason) }
        do {
            let vector = try await primary.embed(prompt, for: spec, timeout: timeout)
            recovered()
            return vector
        } catch let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded {
            let reason = "\(error.message) (\(error.code))"
            failed(reason: reason)
            return try await embedWithFallback(prompt, spec, reason: reason)
        }
    }

    private func embedWithFallback(_ prompt: String, _ spec: EmbedderSpec, reason: String) async throws -> PromptVector {
        do {
            var vector = try await fallback.embed(prompt, for: spec, timeout: .seconds(5))
            vector.fallback = "\(reason); embedded with \(fallback.source)"
            fallbacks.increment()
            return vector
        } catch let error as RPCError {
            throw RPCError(error.code, "\(reason), and the fallback embedder cannot embed: \(error.message)")
        }
    }

    private func failed(reason: String) {
        let now = ContinuousClock.now
        let started = outage.withLock { outage -> Bool in
            defer { outage = Outage(since: outage?.since ?? now, reason: reason, nextTry: now + retryAfter) }
            return outage == nil
        }
        if started {
            // Said once per outage, with the trace of the request that found it.
            Tracing.logger(logger, Tracing.current).warning(
                "embedding service unreachable: routing on fallback embeddings until it answers",
                metadata: ["embedder": "\(primary.source)", "fallback": "\(fallback.source)", "reason": "\(reason)"])
        }
    }

    private func recovered() {
        guard let ended = outage.withLock({ outage in defer { outage = nil }; return outage }) else { return }
        logger.notice(
            "embedding service answers again: fallback ended",
            metadata: ["embedder": "\(primary.source)", "after": "\(ContinuousClock.now - ended.since)"])
    }
}
